// Fused scaled dot-product attention: scores, mask, softmax and the weighted sum of V for one
// query row at a time, so the [lq, lk] score matrix never exists beyond one row per thread.
// Rows of all (batch, head) pairs are split across threads in one pool job.
#include <cmath>
#include <vector>

#include "kernels.h"
#include "simd_math.h"
#include "thread_pool.h"

namespace vlm {

namespace {

struct Row {
  const float* q;     // [d]
  const float* k;     // lk rows of d, kv_row apart
  const float* v;     // lk rows of d, kv_row apart
  const float* mask;  // [lk] or null
  float* out;         // [d]
  int64_t visible;    // keys 0..visible-1 are not hidden by causality
  int64_t kv_row;     // elements between consecutive key (and value) rows: d, or kv_heads * d
};

// Dot products of q with 4 keys at once: the hadd tree reduces four accumulators together.
VLM_AVX2 void scores_avx2(const Row& r, int64_t d, float scale, float* s) {
  const int64_t full = d & ~int64_t{7};
  const __m256i tail = tail_mask256(static_cast<int>(d - full));
  const int64_t ks = r.kv_row;
  int64_t j = 0;
  for (; j + 4 <= r.visible; j += 4) {
    const float* k0 = r.k + j * ks;
    const float *k1 = k0 + ks, *k2 = k1 + ks, *k3 = k2 + ks;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t t = 0; t < full; t += 8) {
      const __m256 qv = _mm256_loadu_ps(r.q + t);
      a0 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k0 + t), a0);
      a1 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k1 + t), a1);
      a2 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k2 + t), a2);
      a3 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k3 + t), a3);
    }
    if (full < d) {
      const __m256 qv = _mm256_maskload_ps(r.q + full, tail);
      a0 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(k0 + full, tail), a0);
      a1 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(k1 + full, tail), a1);
      a2 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(k2 + full, tail), a2);
      a3 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(k3 + full, tail), a3);
    }
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    __m128 dots = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    dots = _mm_mul_ps(dots, _mm_set1_ps(scale));
    if (r.mask) dots = _mm_add_ps(dots, _mm_loadu_ps(r.mask + j));
    _mm_storeu_ps(s + j, dots);
  }
  for (; j < r.visible; ++j) {
    const float* kj = r.k + j * ks;
    __m256 a = _mm256_setzero_ps();
    for (int64_t t = 0; t < full; t += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(r.q + t), _mm256_loadu_ps(kj + t), a);
    if (full < d) a = _mm256_fmadd_ps(_mm256_maskload_ps(r.q + full, tail), _mm256_maskload_ps(kj + full, tail), a);
    s[j] = hsum256(a) * scale + (r.mask ? r.mask[j] : 0.0f);
  }
}

// Softmax of s[0..n) in place; returns nothing, the weights are normalised.
VLM_AVX2 void softmax_avx2(float* s, int64_t n) {
  const int64_t full = n & ~int64_t{7};
  __m256 vmax = _mm256_set1_ps(-INFINITY);
  for (int64_t j = 0; j < full; j += 8) vmax = _mm256_max_ps(_mm256_loadu_ps(s + j), vmax);
  float max = hmax256(vmax);
  for (int64_t j = full; j < n; ++j) max = s[j] > max ? s[j] : max;
  const __m256 m = _mm256_set1_ps(max);
  __m256 vsum = _mm256_setzero_ps();
  for (int64_t j = 0; j < full; j += 8) {
    const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(s + j), m));
    _mm256_storeu_ps(s + j, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  float sum = hsum256(vsum);
  for (int64_t j = full; j < n; ++j) sum += s[j] = std::exp(s[j] - max);
  const float inv = 1.0f / sum;
  for (int64_t j = 0; j < n; ++j) s[j] *= inv;
}

// out = sum_j w[j] v[j], 32 columns at a time so the accumulators stay in registers.
VLM_AVX2 void weighted_sum_avx2(const Row& r, int64_t d, const float* w) {
  for (int64_t c = 0; c < d; c += 32) {
    const int64_t width = d - c < 32 ? d - c : 32;
    __m256i masks[4];
    for (int u = 0; u < 4; ++u) masks[u] = tail_mask256(static_cast<int>(width - 8 * u));
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    const float* vc = r.v + c;
    if (width == 32) {
      for (int64_t j = 0; j < r.visible; ++j, vc += r.kv_row) {
        const __m256 wj = _mm256_set1_ps(w[j]);
        for (int u = 0; u < 4; ++u) acc[u] = _mm256_fmadd_ps(wj, _mm256_loadu_ps(vc + 8 * u), acc[u]);
      }
      for (int u = 0; u < 4; ++u) _mm256_storeu_ps(r.out + c + 8 * u, acc[u]);
    } else {
      for (int64_t j = 0; j < r.visible; ++j, vc += r.kv_row) {
        const __m256 wj = _mm256_set1_ps(w[j]);
        for (int u = 0; u < 4; ++u) acc[u] = _mm256_fmadd_ps(wj, _mm256_maskload_ps(vc + 8 * u, masks[u]), acc[u]);
      }
      for (int u = 0; u < 4; ++u) _mm256_maskstore_ps(r.out + c + 8 * u, masks[u], acc[u]);
    }
  }
}

VLM_AVX2 void attend_row_avx2(const Row& r, int64_t d, float scale, float* s) {
  scores_avx2(r, d, scale, s);
  softmax_avx2(s, r.visible);
  weighted_sum_avx2(r, d, s);
}

void attend_row_portable(const Row& r, int64_t d, float scale, float* s) {
  float max = -INFINITY;
  for (int64_t j = 0; j < r.visible; ++j) {
    float dot = 0.0f;
    for (int64_t t = 0; t < d; ++t) dot += r.q[t] * r.k[j * r.kv_row + t];
    s[j] = dot * scale + (r.mask ? r.mask[j] : 0.0f);
    max = s[j] > max ? s[j] : max;
  }
  float sum = 0.0f;
  for (int64_t j = 0; j < r.visible; ++j) sum += s[j] = std::exp(s[j] - max);
  const float inv = 1.0f / sum;
  for (int64_t t = 0; t < d; ++t) r.out[t] = 0.0f;
  for (int64_t j = 0; j < r.visible; ++j) {
    const float w = s[j] * inv;
    for (int64_t t = 0; t < d; ++t) r.out[t] += w * r.v[j * r.kv_row + t];
  }
}

}  // namespace

void attention(const AttentionArgs& a) {
  const int64_t rows = a.batch * a.heads * a.lq;
  const int64_t d = a.head_dim;
  const int64_t group = a.heads / a.kv_heads;
  const bool avx2 = isa() != Isa::Portable;
  const int nthreads = threads_for(rows * a.lk * d, rows);
  // One score row per thread, allocated here: a failed allocation must throw in the calling
  // thread (where it becomes a JS exception), not terminate a worker.
  const size_t row_len = static_cast<size_t>(a.lk > 0 ? a.lk : 1);
  std::vector<float> scores(row_len * nthreads);
  pool().run(nthreads, [&](int tid, int nt) {
    int64_t begin, end;
    split_range(rows, nt, tid, &begin, &end);
    float* s = scores.data() + row_len * tid;
    for (int64_t row = begin; row < end; ++row) {
      const int64_t i = row % a.lq;
      const int64_t bh = row / a.lq;
      const int64_t b = bh / a.heads, h = bh % a.heads;
      Row r;
      if (a.blhd) {
        // [B, L, H, D]: query row (b, h, i) at ((b * lq + i) * heads + h) * d; the keys of
        // group h / group start at (b * lk * kv_heads + h / group) * d, kv_heads * d apart.
        const int64_t qo = ((b * a.lq + i) * a.heads + h) * d;
        const int64_t kv = (b * a.lk * a.kv_heads + h / group) * d;
        r.q = a.q + qo;
        r.out = a.out + qo;
        r.k = a.k + kv;
        r.v = a.v + kv;
        r.kv_row = a.kv_heads * d;
      } else {
        const int64_t kv = (b * a.kv_heads + h / group) * a.lk * d;
        r.q = a.q + row * d;
        r.out = a.out + row * d;
        r.k = a.k + kv;
        r.v = a.v + kv;
        r.kv_row = d;
      }
      r.mask = a.mask ? a.mask + ((a.mask_batch == 1 ? 0 : b) * a.mask_heads + (a.mask_heads == 1 ? 0 : h)) * a.lq * a.lk + i * a.lk
                      : nullptr;
      // With lq > lk under causality the first queries see no key at all: the reference
      // leaves them at 0 (an empty sum), unlike a fully -inf masked row, which is NaN.
      const int64_t limit = i + a.lk - a.lq + 1;
      r.visible = !a.causal ? a.lk : limit < 0 ? 0 : limit < a.lk ? limit : a.lk;
      if (r.visible == 0) {
        for (int64_t t = 0; t < d; ++t) r.out[t] = 0.0f;
        continue;
      }
      if (avx2) attend_row_avx2(r, d, a.scale, s);
      else attend_row_portable(r, d, a.scale, s);
    }
  });
}

}  // namespace vlm
