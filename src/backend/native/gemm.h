// Batched single-precision GEMM: BLIS-style packing, cache blocking and register-tiled
// micro-kernels (AVX-512, AVX2/FMA or portable, chosen at run time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace vlm {

struct GemmArgs {
  const float* a;  // batch x [m, k] ([k, m] when trans_a), stride_a elements apart (0: shared)
  const float* b;  // batch x [k, n] ([n, k] when trans_b), stride_b elements apart (0: shared)
  float* c;        // batch x [m, n], dense
  int64_t batch, m, n, k;
  bool trans_a, trans_b;
  int64_t stride_a, stride_b;
  const float* bias;  // [n] or null
  bool accumulate;
};

// 64-byte aligned float storage (whole cache lines, aligned vector loads).
struct AlignedFloats {
  struct Free {
    void operator()(float* p) const;
  };
  std::unique_ptr<float, Free> data;
  size_t size = 0;
  // Grows (never shrinks) to hold n floats; contents are not preserved.
  float* reserve(size_t n);
};

// The B operand(s) of a GEMM in the micro-kernel's panel layout, reusable across calls while
// the weights do not change (DESIGN.md: packing costs as much as multiplying when m is small).
struct PackedB {
  int64_t count, k, n;  // count distinct matrices (1 when B is broadcast over the batch)
  bool trans_b;
  AlignedFloats panels;
  size_t bytes() const { return panels.size * sizeof(float); }
};

// Packs `count` B matrices (stride_b elements apart) for the current CPU's kernels.
std::unique_ptr<PackedB> pack_b(const float* b, int64_t count, int64_t k, int64_t n, bool trans_b,
                                int64_t stride_b);

// C = op(A) op(B) (+ bias) (+ C). `packed` replaces args.b when given; it must have been
// packed with the same k, n, trans_b and hold 1 or args.batch matrices.
void gemm(const GemmArgs& args, const PackedB* packed);

enum class HalfKind { F16, BF16 };

// The same product with B stored as 16-bit floats (args.b is ignored). B is decoded while it
// is packed, one kc x (16 panels) block per thread at a time: no float32 copy of the whole
// of B ever exists, which is the point of keeping weights in 16 bits.
void gemm_half(const GemmArgs& args, const uint16_t* b, HalfKind kind);

}  // namespace vlm
