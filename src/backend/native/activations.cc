// Elementwise GELU (erf and tanh forms), QuickGELU and SiLU.
#include <cmath>

#include "kernels.h"
#include "simd_math.h"
#include "thread_pool.h"

namespace vlm {

namespace {

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kSqrt2OverPi = 0.79788456080286536f;
constexpr float kGeluTanhCubic = 0.044715f;
constexpr float kQuickGeluAlpha = 1.702f;

// 0.5 (1 + tanh(y)) = sigmoid(2y), so GELU-tanh is x sigmoid(2y): no tanh, no cancellation.
inline float gelu_tanh_arg(float x) { return 2.0f * kSqrt2OverPi * (x + kGeluTanhCubic * x * x * x); }

inline float apply1(Activation kind, float x) {
  switch (kind) {
    case Activation::Gelu: return 0.5f * x * (1.0f + erf1(x * kInvSqrt2));
    case Activation::GeluTanh: return x_sigmoid1(x, gelu_tanh_arg(x));
    case Activation::QuickGelu: return x_sigmoid1(x, kQuickGeluAlpha * x);
    case Activation::Silu: return x_sigmoid1(x, x);
  }
  return x;
}

VLM_AVX2 inline __m256 apply8(Activation kind, __m256 x) {
  switch (kind) {
    case Activation::Gelu: {
      const __m256 e = erf256(_mm256_mul_ps(x, _mm256_set1_ps(kInvSqrt2)));
      return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    }
    case Activation::GeluTanh: {
      const __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
      const __m256 y = _mm256_fmadd_ps(x3, _mm256_set1_ps(kGeluTanhCubic), x);
      return x_sigmoid256(x, _mm256_mul_ps(y, _mm256_set1_ps(2.0f * kSqrt2OverPi)));
    }
    case Activation::QuickGelu:
      return x_sigmoid256(x, _mm256_mul_ps(x, _mm256_set1_ps(kQuickGeluAlpha)));
    case Activation::Silu:
      return x_sigmoid256(x, x);
  }
  return x;
}

// The switch sits inside the loop but the kind is loop-invariant, so the compiler unswitches it.
// Four vectors per iteration: one vector's chain (polynomials, divisions) is ~150 cycles deep,
// and interleaving independent chains keeps the FMA and divide units busy.
VLM_AVX2 void activation_avx2(Activation kind, const float* x, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 y0 = apply8(kind, _mm256_loadu_ps(x + i));
    const __m256 y1 = apply8(kind, _mm256_loadu_ps(x + i + 8));
    const __m256 y2 = apply8(kind, _mm256_loadu_ps(x + i + 16));
    const __m256 y3 = apply8(kind, _mm256_loadu_ps(x + i + 24));
    _mm256_storeu_ps(out + i, y0);
    _mm256_storeu_ps(out + i + 8, y1);
    _mm256_storeu_ps(out + i + 16, y2);
    _mm256_storeu_ps(out + i + 24, y3);
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, apply8(kind, _mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = tail_mask256(static_cast<int>(n - i));
    _mm256_maskstore_ps(out + i, m, apply8(kind, _mm256_maskload_ps(x + i, m)));
  }
}

void activation_portable(Activation kind, const float* x, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = apply1(kind, x[i]);
}

}  // namespace

void activation(Activation kind, const float* x, float* out, int64_t n) {
  const bool avx2 = isa() != Isa::Portable;
  // Chunks of whole cache lines so that two threads never write the same line.
  const int64_t lines = (n + 15) / 16;
  pool().run(threads_for(n, lines), [&](int tid, int nt) {
    int64_t b, e;
    split_range(lines, nt, tid, &b, &e);
    b *= 16;
    e = e * 16 < n ? e * 16 : n;
    if (b >= e) return;
    if (avx2) activation_avx2(kind, x + b, out + b, e - b);
    else activation_portable(kind, x + b, out + b, e - b);
  });
}

}  // namespace vlm
