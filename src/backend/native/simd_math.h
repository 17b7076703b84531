// Vectorised float32 transcendental functions (AVX2/FMA), shared by the fused kernels, with
// scalar twins for the portable path and for loop tails. NaN propagates through every function,
// as it does in the JS reference.
#pragma once

#include <immintrin.h>

#include <cmath>

#include "cpu.h"

namespace vlm {

// Above this exp overflows to +inf in float32; below -kExpLo it is 0 or subnormal.
constexpr float kExpHi = 88.7228f;
constexpr float kExpLo = -87.3365f;

// exp(x) by range reduction x = n ln2 + r, |r| <= ln2/2, and a degree-6 polynomial for e^r
// (Cephes coefficients, ~1 ulp). Subnormal results are flushed to 0 (error < 1.2e-38).
VLM_AVX2 inline __m256 exp256(__m256 x) {
  const __m256 hi = _mm256_set1_ps(kExpHi), lo = _mm256_set1_ps(kExpLo);
  // min/max return their second operand when either is NaN: keep x second so NaN survives.
  __m256 xc = _mm256_max_ps(lo, _mm256_min_ps(hi, x));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  // ln2 split in two so that n * ln2_hi is exact.
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // 2^n by building the exponent field; n is in [-126, 128] after clamping, and 2^128 is
  // split as 2 * 2^127 so the bit trick never leaves the normal range.
  const __m256 n1 = _mm256_min_ps(n, _mm256_set1_ps(127.0f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n1), _mm256_set1_epi32(127)), 23);
  __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  y = _mm256_mul_ps(y, _mm256_add_ps(_mm256_set1_ps(1.0f), _mm256_sub_ps(n, n1)));
  y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
  y = _mm256_blendv_ps(y, _mm256_setzero_ps(), _mm256_cmp_ps(x, lo, _CMP_LT_OQ));
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

VLM_AVX2 inline __m256 set1(float v) { return _mm256_set1_ps(v); }

// erf(x): x P(x^2) / Q(x^2) (the Eigen/XLA rational) for |x| < 0.75, where it is accurate in
// float32; 1 - erfc(|x|) beyond, with erfc from the Chebyshev fit of Numerical Recipes
// (relative error < 1.2e-7), because near |erf| = 1 the rational loses ~5 ulp to rounding.
// Measured against double erf: < 1.7e-7 absolute, GELU within 1 ulp of the rounded exact value.
VLM_AVX2 inline __m256 erf256(__m256 x) {
  // Polynomials in Estrin form (pairs, then powers y^2, y^4, ...): half the dependency depth of
  // Horner, which matters because GELU is latency-bound on these chains.
  const __m256 sign = _mm256_and_ps(x, set1(-0.0f));
  const __m256 z = _mm256_andnot_ps(set1(-0.0f), x);
  const __m256 y = _mm256_mul_ps(x, x);
  const __m256 y2 = _mm256_mul_ps(y, y);
  const __m256 y4 = _mm256_mul_ps(y2, y2);
  const __m256 p01 = _mm256_fmadd_ps(set1(-2.95459980854025e-03f), y, set1(-1.60960333262415e-02f));
  const __m256 p23 = _mm256_fmadd_ps(set1(-5.69250639462346e-05f), y, set1(-7.34990630326855e-04f));
  const __m256 p45 = _mm256_fmadd_ps(set1(2.77068142495902e-08f), y, set1(-2.10102402082508e-06f));
  const __m256 p03 = _mm256_fmadd_ps(p23, y2, p01);
  const __m256 p46 = _mm256_fmadd_ps(set1(-2.72614225801306e-10f), y2, p45);
  const __m256 p = _mm256_fmadd_ps(p46, y4, p03);
  const __m256 q01 = _mm256_fmadd_ps(set1(-7.37332916720468e-03f), y, set1(-1.42647390514189e-02f));
  const __m256 q23 = _mm256_fmadd_ps(set1(-2.13374055278905e-04f), y, set1(-1.68282697438203e-03f));
  const __m256 q = _mm256_fmadd_ps(set1(-1.45660718464996e-05f), y4, _mm256_fmadd_ps(q23, y2, q01));
  const __m256 small = _mm256_div_ps(_mm256_mul_ps(x, p), q);

  // erfset1(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z/2). z is capped at 10 (erfset1(10) is 0 in
  // float32) so that z^2 stays finite for huge and infinite inputs.
  const __m256 zc = _mm256_min_ps(set1(10.0f), z);
  const __m256 t = _mm256_div_ps(set1(1.0f), _mm256_fmadd_ps(zc, set1(0.5f), set1(1.0f)));
  const __m256 t2 = _mm256_mul_ps(t, t);
  const __m256 t4 = _mm256_mul_ps(t2, t2);
  const __m256 t8 = _mm256_mul_ps(t4, t4);
  const __m256 e01 = _mm256_fmadd_ps(set1(1.00002368f), t, set1(-1.26551223f));
  const __m256 e23 = _mm256_fmadd_ps(set1(0.09678418f), t, set1(0.37409196f));
  const __m256 e45 = _mm256_fmadd_ps(set1(0.27886807f), t, set1(-0.18628806f));
  const __m256 e67 = _mm256_fmadd_ps(set1(1.48851587f), t, set1(-1.13520398f));
  const __m256 e89 = _mm256_fmadd_ps(set1(0.17087277f), t, set1(-0.82215223f));
  const __m256 e03 = _mm256_fmadd_ps(e23, t2, e01);
  const __m256 e47 = _mm256_fmadd_ps(e67, t2, e45);
  const __m256 e = _mm256_fmadd_ps(e89, t8, _mm256_fmadd_ps(e47, t4, e03));
  const __m256 erfc = _mm256_mul_ps(t, exp256(_mm256_fnmadd_ps(zc, zc, e)));
  const __m256 large = _mm256_or_ps(sign, _mm256_sub_ps(set1(1.0f), erfc));

  const __m256 use_small = _mm256_cmp_ps(z, set1(0.75f), _CMP_LT_OQ);
  const __m256 r = _mm256_blendv_ps(large, small, use_small);
  return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// x / (1 + exp(-a x)) = x sigmoid(a x): stable at both ends (exp overflow gives x / inf = 0).
VLM_AVX2 inline __m256 x_sigmoid256(__m256 x, __m256 ax) {
  const __m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), ax));
  return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

VLM_AVX2 inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

VLM_AVX2 inline float hmax256(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Mask selecting the first n (0..8) lanes, for loop tails with maskload/maskstore.
VLM_AVX2 inline __m256i tail_mask256(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Scalar twins (portable path and tails) computed with libm.
inline float erf1(float x) { return std::erf(x); }
inline float x_sigmoid1(float x, float ax) { return x / (1.0f + std::exp(-ax)); }

}  // namespace vlm
