// Elementwise kernels: GELU (erf and tanh forms), QuickGELU and SiLU with their derivatives,
// the sum of two arrays, and the AdamW update.
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

// ---- Backward: dx = g * f'(x). ----
// Every sigmoid form has f(x) = x s, s = sigmoid(a(x)), so f'(x) = s + x s (1 - s) a'(x):
//   QuickGELU a = 1.702 x; SiLU a = x; GELU-tanh a = 2 sqrt(2/pi) (x + 0.044715 x^3)
//   (0.5 (1 + tanh(u)) = sigmoid(2u) and 0.5 (1 - tanh(u)^2) = 2 s (1 - s)).
// GELU (erf): f'(x) = Phi(x) + x phi(x) = 0.5 (1 + erf(x / sqrt2)) + x exp(-x^2 / 2) / sqrt(2 pi).
// a'(x) of GELU-tanh grows like x^2 and would overflow float32 where s (1 - s) is already 0,
// turning 0 * inf into NaN; it is evaluated at x clamped to [-20, 20], where s (1 - s) is
// exactly 0 outside. Infinite x still gives NaN (inf * 0), as in the js reference.
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
constexpr float kTanhSlopeClamp = 20.0f;

inline float dsigmoid_form1(float x, float a, float da) {
  const float s = 1.0f / (1.0f + std::exp(-a));
  return s + x * (s * (1.0f - s)) * da;
}

inline float grad1(Activation kind, float x) {
  switch (kind) {
    case Activation::Gelu:
      return 0.5f * (1.0f + erf1(x * kInvSqrt2)) + x * std::exp(-0.5f * x * x) * kInvSqrt2Pi;
    case Activation::GeluTanh: {
      const float xc = std::fmax(-kTanhSlopeClamp, std::fmin(kTanhSlopeClamp, x));
      const float da = 2.0f * kSqrt2OverPi * (1.0f + 3.0f * kGeluTanhCubic * xc * xc);
      return dsigmoid_form1(x, gelu_tanh_arg(x), da);
    }
    case Activation::QuickGelu: return dsigmoid_form1(x, kQuickGeluAlpha * x, kQuickGeluAlpha);
    case Activation::Silu: return dsigmoid_form1(x, x, 1.0f);
  }
  return 1.0f;
}

VLM_AVX2 inline __m256 dsigmoid_form8(__m256 x, __m256 a, __m256 da) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), a));
  const __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, e));
  const __m256 ss = _mm256_mul_ps(s, _mm256_sub_ps(one, s));
  return _mm256_fmadd_ps(_mm256_mul_ps(x, ss), da, s);
}

VLM_AVX2 inline __m256 grad8(Activation kind, __m256 x) {
  switch (kind) {
    case Activation::Gelu: {
      const __m256 cdf = _mm256_mul_ps(_mm256_set1_ps(0.5f),
                                       _mm256_add_ps(_mm256_set1_ps(1.0f), erf256(_mm256_mul_ps(x, _mm256_set1_ps(kInvSqrt2)))));
      const __m256 pdf = exp256(_mm256_mul_ps(_mm256_mul_ps(x, x), _mm256_set1_ps(-0.5f)));
      return _mm256_fmadd_ps(_mm256_mul_ps(x, pdf), _mm256_set1_ps(kInvSqrt2Pi), cdf);
    }
    case Activation::GeluTanh: {
      // max/min return the second operand on NaN: x second keeps NaN (it propagates anyway).
      const __m256 xc = _mm256_max_ps(_mm256_set1_ps(-kTanhSlopeClamp), _mm256_min_ps(_mm256_set1_ps(kTanhSlopeClamp), x));
      const __m256 da = _mm256_mul_ps(_mm256_set1_ps(2.0f * kSqrt2OverPi),
                                      _mm256_fmadd_ps(_mm256_mul_ps(xc, xc), _mm256_set1_ps(3.0f * kGeluTanhCubic), _mm256_set1_ps(1.0f)));
      const __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
      const __m256 a = _mm256_mul_ps(_mm256_fmadd_ps(x3, _mm256_set1_ps(kGeluTanhCubic), x), _mm256_set1_ps(2.0f * kSqrt2OverPi));
      return dsigmoid_form8(x, a, da);
    }
    case Activation::QuickGelu:
      return dsigmoid_form8(x, _mm256_mul_ps(x, _mm256_set1_ps(kQuickGeluAlpha)), _mm256_set1_ps(kQuickGeluAlpha));
    case Activation::Silu:
      return dsigmoid_form8(x, x, _mm256_set1_ps(1.0f));
  }
  return _mm256_set1_ps(1.0f);
}

VLM_AVX2 void activation_backward_avx2(Activation kind, const float* x, const float* g, float* dx, int64_t n) {
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 d0 = grad8(kind, _mm256_loadu_ps(x + i));
    const __m256 d1 = grad8(kind, _mm256_loadu_ps(x + i + 8));
    const __m256 d2 = grad8(kind, _mm256_loadu_ps(x + i + 16));
    const __m256 d3 = grad8(kind, _mm256_loadu_ps(x + i + 24));
    _mm256_storeu_ps(dx + i, _mm256_mul_ps(_mm256_loadu_ps(g + i), d0));
    _mm256_storeu_ps(dx + i + 8, _mm256_mul_ps(_mm256_loadu_ps(g + i + 8), d1));
    _mm256_storeu_ps(dx + i + 16, _mm256_mul_ps(_mm256_loadu_ps(g + i + 16), d2));
    _mm256_storeu_ps(dx + i + 24, _mm256_mul_ps(_mm256_loadu_ps(g + i + 24), d3));
  }
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(dx + i, _mm256_mul_ps(_mm256_loadu_ps(g + i), grad8(kind, _mm256_loadu_ps(x + i))));
  }
  if (i < n) {
    const __m256i m = tail_mask256(static_cast<int>(n - i));
    const __m256 d = grad8(kind, _mm256_maskload_ps(x + i, m));
    _mm256_maskstore_ps(dx + i, m, _mm256_mul_ps(_mm256_maskload_ps(g + i, m), d));
  }
}

void activation_backward_portable(Activation kind, const float* x, const float* g, float* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = g[i] * grad1(kind, x[i]);
}

// Splits [0, n) into cache-line-aligned chunks (two threads never write the same line).
template <typename Fn>
void for_lines(int64_t n, const Fn& fn) {
  const int64_t lines = (n + 15) / 16;
  pool().run(threads_for(n, lines), [&](int tid, int nt) {
    int64_t b, e;
    split_range(lines, nt, tid, &b, &e);
    b *= 16;
    e = e * 16 < n ? e * 16 : n;
    if (b < e) fn(b, e);
  });
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

void add(const float* a, const float* b, float* out, int64_t n) {
  // Memory-bound: the compiler's vector loop at any ISA; threads for the bandwidth.
  for_lines(n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) out[i] = a[i] + b[i];
  });
}

void activation_backward(Activation kind, const float* x, const float* g, float* dx, int64_t n) {
  const bool avx2 = isa() != Isa::Portable;
  for_lines(n, [&](int64_t b, int64_t e) {
    if (avx2) activation_backward_avx2(kind, x + b, g + b, dx + b, e - b);
    else activation_backward_portable(kind, x + b, g + b, dx + b, e - b);
  });
}

#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")

namespace {

// Plain float32 expressions, each operation rounded (the js reference's Math.fround after
// every step, since float products, quotients and square roots computed in double and
// rounded once are the float32 results). Compiled without FMA in either target, so that no
// a * b + c is contracted into one rounding.
__attribute__((always_inline)) inline void adamw_impl(float* p, const float* g, float* m, float* v, int64_t i0,
                                                      int64_t i1, const AdamWScalars& h) {
  const float decay = h.decay, b1 = h.beta1, b2 = h.beta2, a1 = h.one_minus_beta1, a2 = h.one_minus_beta2;
  const float step = h.step_size, bc2 = h.bc2_sqrt, eps = h.eps;
  for (int64_t i = i0; i < i1; ++i) {
    const float gi = g[i];
    const float pi = p[i] * decay;
    const float mi = m[i] * b1 + gi * a1;
    const float vi = v[i] * b2 + (gi * gi) * a2;
    m[i] = mi;
    v[i] = vi;
    const float denom = std::sqrt(vi) / bc2 + eps;
    p[i] = pi + step * (mi / denom);
  }
}

// target avx2 without fma: no instruction to contract into, whatever the flags.
__attribute__((target("avx2"))) void adamw_avx2(float* p, const float* g, float* m, float* v, int64_t i0, int64_t i1,
                                                const AdamWScalars& h) {
  const __m256 decay = _mm256_set1_ps(h.decay), b1 = _mm256_set1_ps(h.beta1), b2 = _mm256_set1_ps(h.beta2);
  const __m256 a1 = _mm256_set1_ps(h.one_minus_beta1), a2 = _mm256_set1_ps(h.one_minus_beta2);
  const __m256 step = _mm256_set1_ps(h.step_size), bc2 = _mm256_set1_ps(h.bc2_sqrt), eps = _mm256_set1_ps(h.eps);
  int64_t i = i0;
  for (; i + 8 <= i1; i += 8) {
    const __m256 gi = _mm256_loadu_ps(g + i);
    const __m256 pi = _mm256_mul_ps(_mm256_loadu_ps(p + i), decay);
    const __m256 mi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(m + i), b1), _mm256_mul_ps(gi, a1));
    const __m256 vi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(v + i), b2), _mm256_mul_ps(_mm256_mul_ps(gi, gi), a2));
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    const __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), bc2), eps);
    _mm256_storeu_ps(p + i, _mm256_add_ps(pi, _mm256_mul_ps(step, _mm256_div_ps(mi, denom))));
  }
  adamw_impl(p, g, m, v, i, i1, h);
}

void adamw_portable(float* p, const float* g, float* m, float* v, int64_t i0, int64_t i1, const AdamWScalars& h) {
  adamw_impl(p, g, m, v, i0, i1, h);
}

}  // namespace

#pragma GCC pop_options

void adamw_step(float* p, const float* g, float* m, float* v, int64_t n, const AdamWScalars& h) {
  const bool avx2 = isa() != Isa::Portable;
  pool().run(threads_for(n * 8, n / 1024), [&](int tid, int nt) {
    int64_t i0, i1;
    split_range(n, nt, tid, &i0, &i1);
    if (avx2) adamw_avx2(p, g, m, v, i0, i1, h);
    else adamw_portable(p, g, m, v, i0, i1, h);
  });
}

}  // namespace vlm
