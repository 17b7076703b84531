// Batched SGEMM after BLIS (Van Zee & van de Geijn): B is packed into kc x NR column panels,
// A into MR x kc row panels per (kc, mc) block, and an MR x NR register-tiled micro-kernel
// multiplies one A panel by one B panel. Loop order pc/ic/jr/ir streams each B micro-panel
// against an A block held in L2. Transposed operands are read through strides while packing.
// Unlike BLIS, B is packed whole before the product (once per parameter with cacheB), which
// costs the same work, needs no barrier between packing and computing, and gives cached and
// uncached products one layout.
#include "gemm.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "cpu.h"
#include "simd_math.h"
#include "thread_pool.h"

namespace vlm {

void AlignedFloats::Free::operator()(float* p) const { std::free(p); }

float* AlignedFloats::reserve(size_t n) {
  if (!data || n > size) {
    const size_t bytes = std::max<size_t>(64, (n * sizeof(float) + 63) / 64 * 64);
    data.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
    if (!data) {
      size = 0;
      throw std::bad_alloc();
    }
    size = n;
  }
  return data.get();
}

namespace {

// c[r * ldc + j] (r < rows, j < nr) = acc + bias[j] (if bias) + c (if load_c).
using MicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int nr,
                             bool load_c, const float* bias);

struct KernelSet {
  int mr, nr;  // register tile
  int kc, mc;  // cache blocks: an mc x kc A block stays in L2 while B micro-panels stream by
  MicroKernel rows[17];  // rows[r]: the kernel for an r-row tile, 1 <= r <= mr <= 16
};

// ---------------------------------------------------------------------------------------------
// Micro-kernels. Each is a template over the row count so that edge tiles in m (and products
// with m < MR, such as decoding with cached weights) run exactly the FMAs they need; edge
// tiles in n use masked stores.
// With few rows the FMA chains are too short to hide FMA latency, so S independent
// accumulator sets interleave consecutive k steps.

template <int R>
void kernel_portable(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int nr, bool load_c,
                     const float* bias) {
  constexpr int NR = 8;
  float acc[R][NR] = {};
  for (int64_t p = 0; p < kc; ++p, a += R, b += NR) {
    for (int r = 0; r < R; ++r) {
      for (int j = 0; j < NR; ++j) acc[r][j] += a[r] * b[j];
    }
  }
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    for (int j = 0; j < nr; ++j) cr[j] = acc[r][j] + (bias ? bias[j] : 0.0f) + (load_c ? cr[j] : 0.0f);
  }
}

template <int R>
VLM_AVX2 void kernel_avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int nr,
                          bool load_c, const float* bias) {
  // Every loop over s and r has a constant trip count and is fully unrolled, so that the
  // accumulator array lives in registers (S * R * 2 <= 12 of the 16 ymm registers).
  constexpr int S = R == 1 ? 4 : R == 2 ? 2 : 1;
  __m256 acc[S * R * 2];
#pragma GCC unroll 16
  for (int i = 0; i < S * R * 2; ++i) acc[i] = _mm256_setzero_ps();
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
  int64_t p = 0;
  for (; p + S <= kc; p += S, a += S * R, b += S * 16) {
#pragma GCC unroll 4
    for (int s = 0; s < S; ++s) {
      const __m256 b0 = _mm256_load_ps(b + s * 16), b1 = _mm256_load_ps(b + s * 16 + 8);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const __m256 av = _mm256_broadcast_ss(a + s * R + r);
        acc[(s * R + r) * 2] = _mm256_fmadd_ps(av, b0, acc[(s * R + r) * 2]);
        acc[(s * R + r) * 2 + 1] = _mm256_fmadd_ps(av, b1, acc[(s * R + r) * 2 + 1]);
      }
    }
  }
  for (; p < kc; ++p, a += R, b += 16) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r);
      acc[r * 2] = _mm256_fmadd_ps(av, b0, acc[r * 2]);
      acc[r * 2 + 1] = _mm256_fmadd_ps(av, b1, acc[r * 2 + 1]);
    }
  }
#pragma GCC unroll 4
  for (int s = 1; s < S; ++s) {
#pragma GCC unroll 16
    for (int i = 0; i < R * 2; ++i) acc[i] = _mm256_add_ps(acc[i], acc[s * R * 2 + i]);
  }
  const __m256i m0 = tail_mask256(nr), m1 = tail_mask256(nr - 8);
  const bool full = nr == 16;
  const __m256 bias0 = !bias ? _mm256_setzero_ps() : full ? _mm256_loadu_ps(bias) : _mm256_maskload_ps(bias, m0);
  const __m256 bias1 = !bias ? _mm256_setzero_ps() : full ? _mm256_loadu_ps(bias + 8) : _mm256_maskload_ps(bias + 8, m1);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    __m256 v0 = _mm256_add_ps(acc[r * 2], bias0), v1 = _mm256_add_ps(acc[r * 2 + 1], bias1);
    if (full) {
      if (load_c) {
        v0 = _mm256_add_ps(v0, _mm256_loadu_ps(cr));
        v1 = _mm256_add_ps(v1, _mm256_loadu_ps(cr + 8));
      }
      _mm256_storeu_ps(cr, v0);
      _mm256_storeu_ps(cr + 8, v1);
    } else {
      if (load_c) {
        v0 = _mm256_add_ps(v0, _mm256_maskload_ps(cr, m0));
        v1 = _mm256_add_ps(v1, _mm256_maskload_ps(cr + 8, m1));
      }
      _mm256_maskstore_ps(cr, m0, v0);
      _mm256_maskstore_ps(cr + 8, m1, v1);
    }
  }
}

// The AVX-512 twin: 32 registers allow a 12 x 32 tile (24 accumulators), and masked stores
// take any edge width directly. On Zen 4 (512-bit ops split in two) it only matches the AVX2
// kernel; CPUs with full-width AVX-512 FMA units get up to twice the throughput.
// kc = 384 / mc = 96 measured best on Zen 4 among 128..384 x 96..288.
template <int R>
VLM_AVX512 void kernel_avx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int nr,
                              bool load_c, const float* bias) {
  constexpr int S = R == 1 ? 4 : R == 2 ? 2 : 1;
  __m512 acc[S * R * 2];
#pragma GCC unroll 32
  for (int i = 0; i < S * R * 2; ++i) acc[i] = _mm512_setzero_ps();
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 16), _MM_HINT_T0);
  }
  int64_t p = 0;
  for (; p + S <= kc; p += S, a += S * R, b += S * 32) {
#pragma GCC unroll 4
    for (int s = 0; s < S; ++s) {
      const __m512 b0 = _mm512_load_ps(b + s * 32), b1 = _mm512_load_ps(b + s * 32 + 16);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m512 av = _mm512_set1_ps(a[s * R + r]);
        acc[(s * R + r) * 2] = _mm512_fmadd_ps(av, b0, acc[(s * R + r) * 2]);
        acc[(s * R + r) * 2 + 1] = _mm512_fmadd_ps(av, b1, acc[(s * R + r) * 2 + 1]);
      }
    }
  }
  for (; p < kc; ++p, a += R, b += 32) {
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 av = _mm512_set1_ps(a[r]);
      acc[r * 2] = _mm512_fmadd_ps(av, b0, acc[r * 2]);
      acc[r * 2 + 1] = _mm512_fmadd_ps(av, b1, acc[r * 2 + 1]);
    }
  }
#pragma GCC unroll 4
  for (int s = 1; s < S; ++s) {
#pragma GCC unroll 32
    for (int i = 0; i < R * 2; ++i) acc[i] = _mm512_add_ps(acc[i], acc[s * R * 2 + i]);
  }
  const __mmask16 m0 = nr >= 16 ? 0xffff : static_cast<__mmask16>((1u << nr) - 1);
  const __mmask16 m1 = nr >= 32 ? 0xffff : nr <= 16 ? 0 : static_cast<__mmask16>((1u << (nr - 16)) - 1);
  const __m512 bias0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();
  const __m512 bias1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    __m512 v0 = _mm512_add_ps(acc[r * 2], bias0), v1 = _mm512_add_ps(acc[r * 2 + 1], bias1);
    if (load_c) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, cr));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, cr + 16));
    }
    _mm512_mask_storeu_ps(cr, m0, v0);
    _mm512_mask_storeu_ps(cr + 16, m1, v1);
  }
}

const KernelSet& kernels() {
  static const KernelSet portable = {
      4, 8, 256, 128,
      {nullptr, kernel_portable<1>, kernel_portable<2>, kernel_portable<3>, kernel_portable<4>}};
  static const KernelSet avx2 = {
      6, 16, 256, 144,
      {nullptr, kernel_avx2<1>, kernel_avx2<2>, kernel_avx2<3>, kernel_avx2<4>, kernel_avx2<5>, kernel_avx2<6>}};
  static const KernelSet avx512 = {
      12, 32, 384, 96,
      {nullptr, kernel_avx512<1>, kernel_avx512<2>, kernel_avx512<3>, kernel_avx512<4>, kernel_avx512<5>,
       kernel_avx512<6>, kernel_avx512<7>, kernel_avx512<8>, kernel_avx512<9>, kernel_avx512<10>,
       kernel_avx512<11>, kernel_avx512<12>}};
  switch (isa()) {
    case Isa::Avx512: return avx512;
    case Isa::Avx2: return avx2;
    default: return portable;
  }
}

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The k block actually used: ks.kc split into equal blocks (k = 512 as 256 + 256, not
// 384 + 128, whose short block pays the C loads and stores of a full one for a third of the work).
inline int64_t kc_for(int64_t k, const KernelSet& ks) {
  return k <= ks.kc ? std::max<int64_t>(k, 1) : ceil_div(k, ceil_div(k, ks.kc));
}

// ---------------------------------------------------------------------------------------------
// Packing. op(A)(i, p) = a[i * rs + p * cs] and likewise for B, which covers both layouts.

// kcb runs of R floats, cs apart, to consecutive runs (a constant R: plain vector moves).
template <int R>
inline void copy_runs(const float* src, int64_t cs, int64_t kcb, float* dst) {
  for (int64_t p = 0; p < kcb; ++p) std::memcpy(dst + p * R, src + p * cs, sizeof(float) * R);
}

// A rows [i0, i0 + rows) x k range [p0, p0 + kcb) into consecutive R x kcb panels, each stored
// R rows of row-major A (rs apart), kcb values each, into one k-major panel: a transpose. Done
// element by element it took as long as the multiply itself for n = 128 (A is packed once per
// column block, so a narrow B leaves few FLOPs per packed value), so 8 k steps at a time are
// transposed in registers: 8x8 blocks for rows in eights, 4x4 pairs for a group of four.
VLM_AVX2 void pack_a_rows_avx2(const float* src, int64_t rs, int R, int64_t kcb, float* dst) {
  const int64_t full = kcb & ~int64_t{7};
  int r0 = 0;
  for (; r0 + 8 <= R; r0 += 8) {
    const float* s = src + r0 * rs;
    for (int64_t p = 0; p < full; p += 8) {
      __m256 row[8];
      for (int r = 0; r < 8; ++r) row[r] = _mm256_loadu_ps(s + r * rs + p);
      const __m256 t0 = _mm256_unpacklo_ps(row[0], row[1]), t1 = _mm256_unpackhi_ps(row[0], row[1]);
      const __m256 t2 = _mm256_unpacklo_ps(row[2], row[3]), t3 = _mm256_unpackhi_ps(row[2], row[3]);
      const __m256 t4 = _mm256_unpacklo_ps(row[4], row[5]), t5 = _mm256_unpackhi_ps(row[4], row[5]);
      const __m256 t6 = _mm256_unpacklo_ps(row[6], row[7]), t7 = _mm256_unpackhi_ps(row[6], row[7]);
      const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
      const __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
      const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
      const __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
      const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
      const __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
      const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
      const __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
      float* d = dst + p * R + r0;
      _mm256_storeu_ps(d + 0 * R, _mm256_permute2f128_ps(u0, u4, 0x20));
      _mm256_storeu_ps(d + 1 * R, _mm256_permute2f128_ps(u1, u5, 0x20));
      _mm256_storeu_ps(d + 2 * R, _mm256_permute2f128_ps(u2, u6, 0x20));
      _mm256_storeu_ps(d + 3 * R, _mm256_permute2f128_ps(u3, u7, 0x20));
      _mm256_storeu_ps(d + 4 * R, _mm256_permute2f128_ps(u0, u4, 0x31));
      _mm256_storeu_ps(d + 5 * R, _mm256_permute2f128_ps(u1, u5, 0x31));
      _mm256_storeu_ps(d + 6 * R, _mm256_permute2f128_ps(u2, u6, 0x31));
      _mm256_storeu_ps(d + 7 * R, _mm256_permute2f128_ps(u3, u7, 0x31));
    }
  }
  for (; r0 + 4 <= R; r0 += 4) {
    const float* s = src + r0 * rs;
    for (int64_t p = 0; p < full; p += 8) {
      __m256 row[4];
      for (int r = 0; r < 4; ++r) row[r] = _mm256_loadu_ps(s + r * rs + p);
      __m128 lo0 = _mm256_castps256_ps128(row[0]), lo1 = _mm256_castps256_ps128(row[1]);
      __m128 lo2 = _mm256_castps256_ps128(row[2]), lo3 = _mm256_castps256_ps128(row[3]);
      __m128 hi0 = _mm256_extractf128_ps(row[0], 1), hi1 = _mm256_extractf128_ps(row[1], 1);
      __m128 hi2 = _mm256_extractf128_ps(row[2], 1), hi3 = _mm256_extractf128_ps(row[3], 1);
      _MM_TRANSPOSE4_PS(lo0, lo1, lo2, lo3);
      _MM_TRANSPOSE4_PS(hi0, hi1, hi2, hi3);
      float* d = dst + p * R + r0;
      _mm_storeu_ps(d + 0 * R, lo0);
      _mm_storeu_ps(d + 1 * R, lo1);
      _mm_storeu_ps(d + 2 * R, lo2);
      _mm_storeu_ps(d + 3 * R, lo3);
      _mm_storeu_ps(d + 4 * R, hi0);
      _mm_storeu_ps(d + 5 * R, hi1);
      _mm_storeu_ps(d + 6 * R, hi2);
      _mm_storeu_ps(d + 7 * R, hi3);
    }
  }
  // Rows left over (R = 6 leaves two) for the full k steps, then every row for the tail.
  for (int r = r0; r < R; ++r) {
    const float* s = src + r * rs;
    for (int64_t p = 0; p < full; ++p) dst[p * R + r] = s[p];
  }
  for (int r = 0; r < R; ++r) {
    const float* s = src + r * rs;
    for (int64_t p = full; p < kcb; ++p) dst[p * R + r] = s[p];
  }
}

// k-major (R values per k step), R = mr except for a shorter last panel.
void pack_a(const float* a, int64_t rs, int64_t cs, int64_t i0, int64_t rows, int64_t p0, int64_t kcb, int mr,
            float* dst) {
  const bool avx2 = isa() != Isa::Portable;
  for (int64_t ir = 0; ir < rows; ir += mr) {
    const int R = static_cast<int>(std::min<int64_t>(mr, rows - ir));
    const float* src = a + (i0 + ir) * rs + p0 * cs;
    if (cs == 1 && avx2) {
      pack_a_rows_avx2(src, rs, R, kcb, dst);
    } else if (cs == 1) {
      for (int r = 0; r < R; ++r) {
        const float* s = src + r * rs;
        for (int64_t p = 0; p < kcb; ++p) dst[p * R + r] = s[p];
      }
    } else if (rs == 1) {
      // Transposed A (weight gradients, g^T x): each k step is R contiguous floats.
      switch (R) {
        case 12: copy_runs<12>(src, cs, kcb, dst); break;
        case 6: copy_runs<6>(src, cs, kcb, dst); break;
        case 4: copy_runs<4>(src, cs, kcb, dst); break;
        default:
          for (int64_t p = 0; p < kcb; ++p) std::memcpy(dst + p * R, src + p * cs, sizeof(float) * R);
      }
    } else {
      for (int64_t p = 0; p < kcb; ++p) {
        const float* s = src + p * cs;
        for (int r = 0; r < R; ++r) dst[p * R + r] = s[r * rs];
      }
    }
    dst += R * kcb;
  }
}

// Rows [p0, p0 + kcb) of op(B), column panels [jp0, jp1), into kcb x nr panels at dst +
// (jp - jp0) * kcb * nr, zero-padded past column n. `load` turns a stored element (float or
// 16-bit) into its float value.
template <typename T, typename Load>
void pack_b_block(const T* b, int64_t rs, int64_t cs, int64_t n, int nr, int64_t p0, int64_t kcb, int64_t jp0,
                  int64_t jp1, float* dst, const Load& load) {
  for (int64_t jp = jp0; jp < jp1; ++jp) {
    float* d = dst + (jp - jp0) * kcb * nr;
    const int64_t j = jp * nr;
    const int cols = static_cast<int>(std::min<int64_t>(nr, n - j));
    if (cs == 1) {
      for (int64_t p = 0; p < kcb; ++p) {
        const T* s = b + (p0 + p) * rs + j;
        for (int c = 0; c < cols; ++c) d[p * nr + c] = load(s[c]);
        for (int c = cols; c < nr; ++c) d[p * nr + c] = 0.0f;
      }
    } else {
      if (cols < nr) std::memset(d, 0, sizeof(float) * kcb * nr);
      // A transposing copy: 32 k steps at a time so that the destination lines written
      // column by column (32 x nr floats) stay in L1 until they are complete.
      for (int64_t pb = 0; pb < kcb; pb += 32) {
        const int64_t pe = std::min<int64_t>(kcb, pb + 32);
        for (int c = 0; c < cols; ++c) {
          const T* s = b + (j + c) * cs + p0 * rs;
          for (int64_t p = pb; p < pe; ++p) d[p * nr + c] = load(s[p * rs]);
        }
      }
    }
  }
}

// Layout of one packed B matrix: for each kc block starting at p0 (size kcb), at offset
// p0 * npad, the ceil(n / nr) panels of kcb x nr floats.
void pack_b_panels(const float* b, int64_t rs, int64_t cs, int64_t k, int64_t n, const KernelSet& ks,
                   int64_t jp0, int64_t jp1, float* dst) {
  const int64_t npad = ceil_div(n, ks.nr) * ks.nr;
  const int64_t kc = kc_for(k, ks);
  for (int64_t p0 = 0; p0 < k; p0 += kc) {
    const int64_t kcb = std::min<int64_t>(kc, k - p0);
    pack_b_block(b, rs, cs, n, ks.nr, p0, kcb, jp0, jp1, dst + p0 * npad + jp0 * kcb * ks.nr,
                 [](float v) { return v; });
  }
}

void pack_b_into(PackedB& out, const float* b, int64_t count, int64_t k, int64_t n, bool trans_b,
                 int64_t stride_b) {
  const KernelSet& ks = kernels();
  const int64_t panels = ceil_div(n, ks.nr);
  const int64_t per_matrix = k * panels * ks.nr;
  out.count = count;
  out.k = k;
  out.n = n;
  out.trans_b = trans_b;
  float* dst = out.panels.reserve(static_cast<size_t>(count * per_matrix));
  const int64_t rs = trans_b ? 1 : n, cs = trans_b ? k : 1;
  const int64_t units = count * panels;
  pool().run(units * k * ks.nr < kParallelGrain ? 1 : static_cast<int>(std::min<int64_t>(units, INT_MAX)),
             [&](int tid, int nt) {
               int64_t u0, u1;
               split_range(units, nt, tid, &u0, &u1);
               while (u0 < u1) {
                 // Units are (matrix, panel) pairs; pack a run of panels of one matrix at a time.
                 const int64_t mat = u0 / panels, jp0 = u0 % panels;
                 const int64_t jp1 = std::min(panels, jp0 + (u1 - u0));
                 pack_b_panels(b + mat * stride_b, rs, cs, k, n, ks, jp0, jp1, dst + mat * per_matrix);
                 u0 += jp1 - jp0;
               }
             });
}

// ---------------------------------------------------------------------------------------------
// The blocked product.

void fill_k0(const GemmArgs& g, float* c, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  for (int64_t i = i0; i < i1; ++i) {
    for (int64_t j = j0; j < j1; ++j) {
      c[i * g.n + j] = (g.accumulate ? c[i * g.n + j] : 0.0f) + (g.bias ? g.bias[j] : 0.0f);
    }
  }
}

// C[i0:i1, j0:j1] (+)= op(A)[i0:i1, p0:p0+kcb] x rows p0.. of packed B, whose panel for
// column j sits at bblock + (j / nr - jp_base) * kcb * nr; j0 is a multiple of nr.
void multiply_kc_block(const KernelSet& ks, const GemmArgs& g, const float* a, int64_t p0, int64_t kcb,
                       const float* bblock, int64_t jp_base, float* c, int64_t i0, int64_t i1, int64_t j0,
                       int64_t j1, float* abuf) {
  const int64_t rs = g.trans_a ? 1 : g.k, cs = g.trans_a ? g.m : 1;
  const bool first = p0 == 0;
  for (int64_t ic = i0; ic < i1; ic += ks.mc) {
    const int64_t mcb = std::min<int64_t>(ks.mc, i1 - ic);
    pack_a(a, rs, cs, ic, mcb, p0, kcb, ks.mr, abuf);
    for (int64_t jr = j0; jr < j1; jr += ks.nr) {
      const int nr = static_cast<int>(std::min<int64_t>(ks.nr, g.n - jr));
      const float* bpanel = bblock + (jr / ks.nr - jp_base) * kcb * ks.nr;
      const float* bias = first && g.bias ? g.bias + jr : nullptr;
      const bool load_c = !first || g.accumulate;
      for (int64_t ir = 0; ir < mcb; ir += ks.mr) {
        const int rows = static_cast<int>(std::min<int64_t>(ks.mr, mcb - ir));
        ks.rows[rows](kcb, abuf + ir * kcb, bpanel, c + (ic + ir) * g.n + jr, g.n, nr, load_c, bias);
      }
    }
  }
}

// One C rectangle of one batch element against a fully packed B.
void compute_rect(const KernelSet& ks, const GemmArgs& g, const float* a, const float* bp, float* c, int64_t i0,
                  int64_t i1, int64_t j0, int64_t j1, float* abuf) {
  if (g.k == 0) {
    fill_k0(g, c, i0, i1, j0, j1);
    return;
  }
  const int64_t npad = ceil_div(g.n, ks.nr) * ks.nr;
  const int64_t kc = kc_for(g.k, ks);
  // Row blocks outermost: an mc-row strip of C stays in cache over all k blocks instead of
  // the whole of C (megabytes at m = 8320) streaming through memory once per k block.
  for (int64_t ic = i0; ic < i1; ic += ks.mc) {
    const int64_t ie = std::min<int64_t>(i1, ic + ks.mc);
    for (int64_t p0 = 0; p0 < g.k; p0 += kc) {
      const int64_t kcb = std::min<int64_t>(kc, g.k - p0);
      multiply_kc_block(ks, g, a, p0, kcb, bp + p0 * npad, 0, c, ic, ie, j0, j1, abuf);
    }
  }
}

// Thread grid tm x tn over (row panels, column panels) minimising the largest share; on a tie,
// rows are split: threads sharing a row range each pack the same A panels (for n = 128 a
// column split doubled the packing of A for no fewer FLOPs per thread).
void choose_grid(int64_t m, int64_t n, const KernelSet& ks, int nt, int* tm, int* tn) {
  const int64_t pm = ceil_div(m, ks.mr), pn = ceil_div(n, ks.nr);
  int64_t best = INT64_MAX;
  for (int cand = 1; cand <= nt; ++cand) {
    if (nt % cand != 0) continue;
    const int64_t cost = ceil_div(pm, nt / cand) * ks.mr * ceil_div(pn, cand) * ks.nr;
    if (cost < best) {
      best = cost;
      *tn = cand;
      *tm = nt / cand;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Few rows and an unpacked B (decode steps, per-token projections): packing B would cost as
// much as the product, so stream B once straight from its own layout.

constexpr int64_t kDirectMaxRows = 8;

// c[i * n + j] for j in [j0, j1): dot products of the M (contiguous) A rows with rows of
// B [n, k]. J rows of B at a time so that M * J independent FMA chains hide FMA latency
// (one chain per dot product would run at a quarter of the FMA throughput for m = 1).
template <int M>
VLM_AVX2 void direct_trans_b_avx2(const float* arows, const float* b, int64_t k, float* c, int64_t n, int64_t j0,
                                  int64_t j1, const float* bias, bool accumulate) {
  constexpr int J = M == 1 ? 4 : M == 2 ? 4 : M <= 4 ? 2 : 1;
  const int64_t full = k & ~int64_t{7};
  const __m256i tail = tail_mask256(static_cast<int>(k - full));
  for (int64_t j = j0; j < j1; j += J) {
    const int cols = static_cast<int>(std::min<int64_t>(J, j1 - j));
    // Rows past j1 re-read row j: harmless loads, and their sums are never stored.
    const float* brow[J];
#pragma GCC unroll 4
    for (int u = 0; u < J; ++u) brow[u] = b + (j + (u < cols ? u : 0)) * k;
    __m256 acc[M * J];
#pragma GCC unroll 8
    for (int i = 0; i < M * J; ++i) acc[i] = _mm256_setzero_ps();
    for (int64_t p = 0; p < full; p += 8) {
#pragma GCC unroll 4
      for (int u = 0; u < J; ++u) {
        const __m256 bv = _mm256_loadu_ps(brow[u] + p);
#pragma GCC unroll 8
        for (int i = 0; i < M; ++i) acc[i * J + u] = _mm256_fmadd_ps(_mm256_loadu_ps(arows + i * k + p), bv, acc[i * J + u]);
      }
    }
    if (full < k) {
#pragma GCC unroll 4
      for (int u = 0; u < J; ++u) {
        const __m256 bv = _mm256_maskload_ps(brow[u] + full, tail);
#pragma GCC unroll 8
        for (int i = 0; i < M; ++i) {
          acc[i * J + u] = _mm256_fmadd_ps(_mm256_maskload_ps(arows + i * k + full, tail), bv, acc[i * J + u]);
        }
      }
    }
    for (int i = 0; i < M; ++i) {
      for (int u = 0; u < cols; ++u) {
        float* cij = c + i * n + j + u;
        *cij = hsum256(acc[i * J + u]) + (bias ? bias[j + u] : 0.0f) + (accumulate ? *cij : 0.0f);
      }
    }
  }
}

using DirectTransB = void (*)(const float*, const float*, int64_t, float*, int64_t, int64_t, int64_t, const float*,
                              bool);
constexpr DirectTransB kDirectTransB[kDirectMaxRows + 1] = {
    nullptr, direct_trans_b_avx2<1>, direct_trans_b_avx2<2>, direct_trans_b_avx2<3>, direct_trans_b_avx2<4>,
    direct_trans_b_avx2<5>, direct_trans_b_avx2<6>, direct_trans_b_avx2<7>, direct_trans_b_avx2<8>};

// The same for B [k, n]: C rows (an L1-sized column block at a time) accumulate a[i][p] B[p].
// Plain loops, inlined into each caller so that the compiler vectorises them for its target.
__attribute__((always_inline)) inline void direct_rows_impl(const float* arows, int64_t m, const float* b, int64_t k, float* c, int64_t n, int64_t j0,
                      int64_t j1, const float* bias, bool accumulate) {
  // Whole 8 KB runs of each B row: shorter runs hop across pages and defeat the prefetcher;
  // m <= 8 rows of C stay within L2.
  constexpr int64_t kBlock = 2048;
  for (int64_t jb = j0; jb < j1; jb += kBlock) {
    const int64_t je = std::min(j1, jb + kBlock);
    for (int64_t i = 0; i < m; ++i) {
      float* ci = c + i * n;
      for (int64_t j = jb; j < je; ++j) ci[j] = (accumulate ? ci[j] : 0.0f) + (bias ? bias[j] : 0.0f);
    }
    // Four rows of B per pass over C: one load and store of C per four FMAs, not per one.
    int64_t p = 0;
    for (; p + 4 <= k; p += 4) {
      const float* b0 = b + p * n;
      const float *b1 = b0 + n, *b2 = b1 + n, *b3 = b2 + n;
      for (int64_t i = 0; i < m; ++i) {
        const float* ai = arows + i * k + p;
        const float a0 = ai[0], a1 = ai[1], a2 = ai[2], a3 = ai[3];
        float* ci = c + i * n;
        for (int64_t j = jb; j < je; ++j) ci[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
      }
    }
    for (; p < k; ++p) {
      const float* bp = b + p * n;
      for (int64_t i = 0; i < m; ++i) {
        const float av = arows[i * k + p];
        float* ci = c + i * n;
        for (int64_t j = jb; j < je; ++j) ci[j] += av * bp[j];
      }
    }
  }
}

VLM_AVX2 void direct_rows_avx2(const float* arows, int64_t m, const float* b, int64_t k, float* c, int64_t n,
                               int64_t j0, int64_t j1, const float* bias, bool accumulate) {
  direct_rows_impl(arows, m, b, k, c, n, j0, j1, bias, accumulate);
}

void direct_portable(const float* arows, int64_t m, const float* b, int64_t k, float* c, int64_t n, int64_t j0,
                     int64_t j1, const float* bias, bool accumulate, bool trans_b) {
  if (!trans_b) {
    direct_rows_impl(arows, m, b, k, c, n, j0, j1, bias, accumulate);
    return;
  }
  for (int64_t j = j0; j < j1; ++j) {
    for (int64_t i = 0; i < m; ++i) {
      float s = 0.0f;
      for (int64_t p = 0; p < k; ++p) s += arows[i * k + p] * b[j * k + p];
      float* cij = c + i * n + j;
      *cij = s + (bias ? bias[j] : 0.0f) + (accumulate ? *cij : 0.0f);
    }
  }
}

// A rows gathered contiguously once (m x k is small) so both layouts of A take one path.
// Batch element bi's rows are at the result + (stride_a == 0 ? 0 : bi) * m * k.
const float* gather_a_rows(const GemmArgs& g) {
  const int64_t a_count = g.stride_a == 0 ? 1 : g.batch;
  thread_local AlignedFloats gathered;
  float* arows = gathered.reserve(static_cast<size_t>(a_count * g.m * g.k));
  for (int64_t bi = 0; bi < a_count; ++bi) {
    const float* a = g.a + bi * g.stride_a;
    float* dst = arows + bi * g.m * g.k;
    for (int64_t i = 0; i < g.m; ++i) {
      for (int64_t p = 0; p < g.k; ++p) dst[i * g.k + p] = g.trans_a ? a[p * g.m + i] : a[i * g.k + p];
    }
  }
  return arows;
}

// Runs body(j0, j1) on column ranges of 16-column chunks split across threads.
template <typename Body>
void for_column_chunks(const GemmArgs& g, const Body& body) {
  const int64_t work = g.batch * g.m * g.n * g.k;
  const int64_t chunks = ceil_div(g.n, 16);
  pool().run(work < kParallelGrain * 16 ? 1 : static_cast<int>(std::min<int64_t>(chunks, INT_MAX)),
             [&](int tid, int nt) {
               int64_t c0, c1;
               split_range(chunks, nt, tid, &c0, &c1);
               const int64_t j0 = c0 * 16, j1 = std::min(g.n, c1 * 16);
               if (j0 < j1) body(j0, j1);
             });
}

void gemm_direct(const GemmArgs& g) {
  const float* arows = gather_a_rows(g);
  const bool avx2 = isa() != Isa::Portable;
  for_column_chunks(g, [&](int64_t j0, int64_t j1) {
    for (int64_t bi = 0; bi < g.batch; ++bi) {
      const float* a = arows + (g.stride_a == 0 ? 0 : bi) * g.m * g.k;
      const float* b = g.b + bi * g.stride_b;
      float* c = g.c + bi * g.m * g.n;
      if (!avx2) direct_portable(a, g.m, b, g.k, c, g.n, j0, j1, g.bias, g.accumulate, g.trans_b);
      else if (g.trans_b) kDirectTransB[g.m](a, b, g.k, c, g.n, j0, j1, g.bias, g.accumulate);
      else direct_rows_avx2(a, g.m, b, g.k, c, g.n, j0, j1, g.bias, g.accumulate);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// 16-bit B.

// IEEE half -> float for every bit pattern (subnormals, infinities, NaN) through a 256 KB table.
const float* f16_table() {
  static const std::vector<float> table = [] {
    std::vector<float> t(65536);
    for (uint32_t h = 0; h < 65536; ++h) {
      const uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
      if (exp == 0) {
        const float v = std::ldexp(static_cast<float>(mant), -24);
        t[h] = sign ? -v : v;
        continue;
      }
      const uint32_t bits = exp == 0x1f ? sign | 0x7f800000u | (mant << 13) : sign | ((exp + 112) << 23) | (mant << 13);
      std::memcpy(&t[h], &bits, sizeof(float));
    }
    return t;
  }();
  return table.data();
}

// bfloat16 is the top half of a float32.
inline float bf16_to_float(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Column panels decoded per block: 256 (AVX2) or 512 (AVX-512) columns x kc rows.
constexpr int64_t kHalfBlockPanels = 16;

VLM_AVX2 void decode_half_avx2(const uint16_t* src, int64_t n, HalfKind kind, float* dst) {
  int64_t i = 0;
  if (kind == HalfKind::F16) {
    for (; i + 8 <= n; i += 8) {
      _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
    }
    const float* table = f16_table();
    for (; i < n; ++i) dst[i] = table[src[i]];
  } else {
    for (; i + 8 <= n; i += 8) {
      const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
      _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16)));
    }
    for (; i < n; ++i) dst[i] = bf16_to_float(src[i]);
  }
}

// n contiguous 16-bit values to float32.
void decode_half(const uint16_t* src, int64_t n, HalfKind kind, float* dst) {
  if (isa() != Isa::Portable) {
    decode_half_avx2(src, n, kind, dst);
  } else if (kind == HalfKind::F16) {
    const float* table = f16_table();
    for (int64_t i = 0; i < n; ++i) dst[i] = table[src[i]];
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_float(src[i]);
  }
}

// Few rows against B [n, k] in 16 bits: rows of B are decoded 8 at a time into an L1/L2-sized
// float buffer and go through the float dot-product kernels, so the weights are read from
// memory once, at 2 bytes per element.
void gemm_direct_half(const GemmArgs& g, const uint16_t* bits, HalfKind kind) {
  constexpr int64_t kRows = 8;
  const float* arows = gather_a_rows(g);
  const bool avx2 = isa() != Isa::Portable;
  for_column_chunks(g, [&](int64_t j0, int64_t j1) {
    thread_local AlignedFloats stage_storage;
    float* stage = stage_storage.reserve(static_cast<size_t>(kRows * g.k));
    for (int64_t bi = 0; bi < g.batch; ++bi) {
      const float* a = arows + (g.stride_a == 0 ? 0 : bi) * g.m * g.k;
      const uint16_t* b = bits + bi * g.stride_b;
      float* c = g.c + bi * g.m * g.n;
      for (int64_t j = j0; j < j1; j += kRows) {
        const int64_t rows = std::min(kRows, j1 - j);
        decode_half(b + j * g.k, rows * g.k, kind, stage);
        const float* bias = g.bias ? g.bias + j : nullptr;
        if (avx2) kDirectTransB[g.m](a, stage, g.k, c + j, g.n, 0, rows, bias, g.accumulate);
        else direct_portable(a, g.m, stage, g.k, c + j, g.n, 0, rows, bias, g.accumulate, true);
      }
    }
  });
}

// Decodes the block of op(B) rows [p0, p0 + kcb) x columns [j0, j1) into `stage`, keeping
// B's own orientation so that every decoded run is contiguous (vector conversions), and
// returns the strides of the staged block.
void stage_half_block(const uint16_t* b, bool trans_b, int64_t k, int64_t n, int64_t p0, int64_t kcb, int64_t j0,
                      int64_t j1, HalfKind kind, float* stage, int64_t* rs, int64_t* cs) {
  const int64_t cols = j1 - j0;
  if (trans_b) {
    for (int64_t j = j0; j < j1; ++j) decode_half(b + j * k + p0, kcb, kind, stage + (j - j0) * kcb);
    *rs = 1;
    *cs = kcb;
  } else {
    for (int64_t p = 0; p < kcb; ++p) decode_half(b + (p0 + p) * n + j0, cols, kind, stage + p * cols);
    *rs = cols;
    *cs = 1;
  }
}

// Few rows and a long k (weight gradients g^T x: m, n <= 1024, k = batch * tokens): B is
// used only m times per element, so packing all of it first (megabytes written to memory and
// read back) costs a third of the product. Pack one kc block of B at a time into an L2-sized
// buffer and multiply it straight away; C (small here) takes every k block in turn.
bool use_k_blocked(const GemmArgs& g, const KernelSet& ks) {
  return g.batch == 1 && g.m <= 1024 && g.k > 4 * ks.kc;
}

// Largest C (floats) that gemm_k_split gives each extra thread a private copy of.
constexpr int64_t kSplitMaxC = int64_t{1} << 18;

// A small C over a long k (weight gradients: 128 x 128 from 8320 rows) with the k blocks split
// between threads: each packs only its own share of A and B and multiplies it into its own C
// (the caller's for thread 0), and the copies are summed at the end. Splitting C instead had
// every thread pack all of A, and synchronise twice per k block.
void gemm_k_split(const GemmArgs& g, const KernelSet& ks, int want) {
  const int64_t kc = kc_for(g.k, ks);
  const int64_t blocks = ceil_div(g.k, kc);
  const int64_t panels = ceil_div(g.n, ks.nr);
  const int64_t size = g.m * g.n;
  const int most = static_cast<int>(std::min<int64_t>(want, blocks));
  // The extra threads' copies of C, held by the calling thread (a thread may run several shares).
  thread_local AlignedFloats partial_storage;
  float* partial = partial_storage.reserve(static_cast<size_t>(std::max(most - 1, 1) * size));
  std::atomic<int> used{1};
  pool().run(most, [&](int tid, int nt) {
    thread_local AlignedFloats block_storage, abuf_storage;
    float* bblock = block_storage.reserve(static_cast<size_t>(kc * panels * ks.nr));
    float* abuf = abuf_storage.reserve(static_cast<size_t>(ks.mc) * ks.kc);
    GemmArgs own = g;
    float* c = g.c;
    if (tid > 0) {
      // Later k blocks add into zeros of their own; the bias comes in once, with thread 0's.
      c = partial + (tid - 1) * size;
      std::fill(c, c + size, 0.0f);
      own.accumulate = true;
      own.bias = nullptr;
      used.store(nt, std::memory_order_relaxed);
    }
    const int64_t rs = g.trans_b ? 1 : g.n, cs = g.trans_b ? g.k : 1;
    int64_t b0, b1;
    split_range(blocks, nt, tid, &b0, &b1);
    for (int64_t bi = b0; bi < b1; ++bi) {
      const int64_t p0 = bi * kc, kcb = std::min<int64_t>(kc, g.k - p0);
      pack_b_block(g.b, rs, cs, g.n, ks.nr, p0, kcb, 0, panels, bblock, [](float v) { return v; });
      multiply_kc_block(ks, own, g.a, p0, kcb, bblock, 0, c, 0, g.m, 0, g.n, abuf);
    }
  });
  for (int t = 1; t < used.load(std::memory_order_relaxed); ++t) {
    const float* add = partial + (t - 1) * size;
    for (int64_t i = 0; i < size; ++i) g.c[i] += add[i];
  }
}

void gemm_k_blocked(const GemmArgs& g, const KernelSet& ks) {
  const int64_t kc = kc_for(g.k, ks);
  const int64_t panels = ceil_div(g.n, ks.nr);
  const int64_t flops = g.m * g.n * kc;
  const int64_t tiles = ceil_div(g.m, ks.mr) * panels;
  const int want = flops < kParallelGrain * 8 ? 1 : static_cast<int>(std::min<int64_t>(tiles, INT_MAX));
  if (want > 1 && pool().size() > 1 && g.m * g.n <= kSplitMaxC) {
    gemm_k_split(g, ks, want);
    return;
  }
  thread_local AlignedFloats block_storage;
  float* bblock = block_storage.reserve(static_cast<size_t>(kc * panels * ks.nr));
  const int64_t rs = g.trans_b ? 1 : g.n, cs = g.trans_b ? g.k : 1;
  for (int64_t p0 = 0; p0 < g.k; p0 += kc) {
    const int64_t kcb = std::min<int64_t>(kc, g.k - p0);
    pool().run(std::min<int64_t>(want, panels), [&](int tid, int nt) {
      int64_t jp0, jp1;
      split_range(panels, nt, tid, &jp0, &jp1);
      if (jp0 < jp1) {
        pack_b_block(g.b, rs, cs, g.n, ks.nr, p0, kcb, jp0, jp1, bblock + jp0 * kcb * ks.nr, [](float v) { return v; });
      }
    });
    pool().run(want, [&](int tid, int nt) {
      thread_local AlignedFloats abuf_storage;
      float* abuf = abuf_storage.reserve(static_cast<size_t>(ks.mc) * ks.kc);
      int tm = 1, tn = 1;
      choose_grid(g.m, g.n, ks, nt, &tm, &tn);
      int64_t r0, r1, c0, c1;
      split_range(ceil_div(g.m, ks.mr), tm, tid / tn, &r0, &r1);
      split_range(panels, tn, tid % tn, &c0, &c1);
      const int64_t i0 = r0 * ks.mr, i1 = std::min(g.m, r1 * ks.mr);
      const int64_t j0 = c0 * ks.nr, j1 = std::min(g.n, c1 * ks.nr);
      if (i0 >= i1 || j0 >= j1) return;
      multiply_kc_block(ks, g, g.a, p0, kcb, bblock, 0, g.c, i0, i1, j0, j1, abuf);
    });
  }
}

}  // namespace

std::unique_ptr<PackedB> pack_b(const float* b, int64_t count, int64_t k, int64_t n, bool trans_b,
                                int64_t stride_b) {
  auto packed = std::make_unique<PackedB>();
  pack_b_into(*packed, b, count, k, n, trans_b, stride_b);
  return packed;
}

void gemm(const GemmArgs& g, const PackedB* packed) {
  if (g.batch == 0 || g.m == 0 || g.n == 0) return;
  if (!packed && g.m <= kDirectMaxRows && g.k > 0) {
    gemm_direct(g);
    return;
  }
  const KernelSet& ks = kernels();
  if (!packed && use_k_blocked(g, ks)) {
    gemm_k_blocked(g, ks);
    return;
  }
  if (!packed) {
    // Scratch of the calling thread, kept between calls so that repeated GEMMs do not pay
    // page faults for a fresh allocation every time (at the price of holding on to the
    // largest uncached B packed so far).
    thread_local PackedB scratch;
    pack_b_into(scratch, g.b, g.stride_b == 0 ? 1 : g.batch, g.k, g.n, g.trans_b, g.stride_b);
    packed = &scratch;
  }
  const int64_t per_matrix = g.k * ceil_div(g.n, ks.nr) * ks.nr;
  const int64_t flops = g.batch * g.m * g.n * std::max<int64_t>(g.k, 1);
  const int64_t tiles = g.batch * ceil_div(g.m, ks.mr) * ceil_div(g.n, ks.nr);
  const int want = flops < kParallelGrain * 8 ? 1 : static_cast<int>(std::min<int64_t>(tiles, INT_MAX));
  pool().run(want, [&](int tid, int nt) {
    thread_local AlignedFloats abuf_storage;
    float* abuf = abuf_storage.reserve(static_cast<size_t>(ks.mc) * ks.kc);
    auto matrix = [&](int64_t bi) {
      return packed->panels.data.get() + (packed->count == 1 ? 0 : bi) * per_matrix;
    };
    // Whole batch elements per thread when they divide evenly (attention-style batches of
    // small products); otherwise every thread takes a rectangle of each product.
    if (g.batch % nt == 0 || g.batch >= 4 * nt) {
      int64_t b0, b1;
      split_range(g.batch, nt, tid, &b0, &b1);
      for (int64_t bi = b0; bi < b1; ++bi) {
        compute_rect(ks, g, g.a + bi * g.stride_a, matrix(bi), g.c + bi * g.m * g.n, 0, g.m, 0, g.n, abuf);
      }
      return;
    }
    int tm = 1, tn = 1;
    choose_grid(g.m, g.n, ks, nt, &tm, &tn);
    int64_t r0, r1, c0, c1;
    split_range(ceil_div(g.m, ks.mr), tm, tid / tn, &r0, &r1);
    split_range(ceil_div(g.n, ks.nr), tn, tid % tn, &c0, &c1);
    const int64_t i0 = r0 * ks.mr, i1 = std::min(g.m, r1 * ks.mr);
    const int64_t j0 = c0 * ks.nr, j1 = std::min(g.n, c1 * ks.nr);
    if (i0 >= i1 || j0 >= j1) return;
    for (int64_t bi = 0; bi < g.batch; ++bi) {
      compute_rect(ks, g, g.a + bi * g.stride_a, matrix(bi), g.c + bi * g.m * g.n, i0, i1, j0, j1, abuf);
    }
  });
}

void gemm_half(const GemmArgs& g, const uint16_t* bits, HalfKind kind) {
  if (g.batch == 0 || g.m == 0 || g.n == 0) return;
  if (g.m <= kDirectMaxRows && g.trans_b && g.k > 0) {
    gemm_direct_half(g, bits, kind);
    return;
  }
  const KernelSet& ks = kernels();
  const int64_t panels = ceil_div(g.n, ks.nr);
  const int64_t flops = g.batch * g.m * g.n * std::max<int64_t>(g.k, 1);
  pool().run(flops < kParallelGrain * 8 ? 1 : static_cast<int>(std::min<int64_t>(panels, INT_MAX)),
             [&](int tid, int nt) {
               thread_local AlignedFloats abuf_storage, bbuf_storage, stage_storage;
               const size_t block = static_cast<size_t>(ks.kc) * kHalfBlockPanels * ks.nr;
               float* abuf = abuf_storage.reserve(static_cast<size_t>(ks.mc) * ks.kc);
               float* bbuf = bbuf_storage.reserve(block);
               float* stage = stage_storage.reserve(block);
               // Threads own column ranges: each decodes only its own part of B, once.
               int64_t q0, q1;
               split_range(panels, nt, tid, &q0, &q1);
               for (int64_t bi = 0; bi < g.batch; ++bi) {
                 const float* a = g.a + bi * g.stride_a;
                 const uint16_t* b = bits + bi * g.stride_b;
                 float* c = g.c + bi * g.m * g.n;
                 for (int64_t jp0 = q0; jp0 < q1; jp0 += kHalfBlockPanels) {
                   const int64_t jp1 = std::min(q1, jp0 + kHalfBlockPanels);
                   const int64_t j0 = jp0 * ks.nr, j1 = std::min(g.n, jp1 * ks.nr);
                   if (g.k == 0) fill_k0(g, c, 0, g.m, j0, j1);
                   const int64_t kc = kc_for(g.k, ks);
                   for (int64_t p0 = 0; p0 < g.k; p0 += kc) {
                     const int64_t kcb = std::min<int64_t>(kc, g.k - p0);
                     int64_t rs, cs;
                     stage_half_block(b, g.trans_b, g.k, g.n, p0, kcb, j0, j1, kind, stage, &rs, &cs);
                     pack_b_block(stage, rs, cs, j1 - j0, ks.nr, 0, kcb, 0, jp1 - jp0, bbuf, [](float v) { return v; });
                     multiply_kc_block(ks, g, a, p0, kcb, bbuf, jp0, c, 0, g.m, j0, j1, abuf);
                   }
                 }
               }
             });
}

}  // namespace vlm
