// Fused scaled dot-product attention: scores, mask, softmax and the weighted sum of V for one
// query row at a time, so the [lq, lk] score matrix never exists beyond one row per thread
// (unless the caller asks for the softmax weights, which training keeps for the backward).
// Rows of all (batch, head) pairs are split across threads in one pool job. The backward
// works one query row at a time too, with threads owning whole key/value heads so that
// their gradient rows have a single writer.
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

// s_i[j] = q_i . k_j * scale (+ mask_i[j]) for keys j in [j0, j1) and R query rows: 4 keys at
// a time, each key load shared by the R rows, the hadd tree reducing four accumulators together.
template <int R>
VLM_AVX2 void scores_avx2(const Row* const* rows, int64_t j0, int64_t j1, int64_t d, float scale, float* const* s) {
  const int64_t full = d & ~int64_t{7};
  const __m256i tail = tail_mask256(static_cast<int>(d - full));
  const int64_t ks = rows[0]->kv_row;
  const float* keys = rows[0]->k;
  int64_t j = j0;
  for (; j + 4 <= j1; j += 4) {
    const float* k0 = keys + j * ks;
    const float *k1 = k0 + ks, *k2 = k1 + ks, *k3 = k2 + ks;
    __m256 acc[R][4];
    for (int i = 0; i < R; ++i) {
      for (int u = 0; u < 4; ++u) acc[i][u] = _mm256_setzero_ps();
    }
    for (int64_t t = 0; t < full; t += 8) {
      const __m256 kv[4] = {_mm256_loadu_ps(k0 + t), _mm256_loadu_ps(k1 + t), _mm256_loadu_ps(k2 + t), _mm256_loadu_ps(k3 + t)};
      for (int i = 0; i < R; ++i) {
        const __m256 qv = _mm256_loadu_ps(rows[i]->q + t);
        for (int u = 0; u < 4; ++u) acc[i][u] = _mm256_fmadd_ps(qv, kv[u], acc[i][u]);
      }
    }
    if (full < d) {
      const __m256 kv[4] = {_mm256_maskload_ps(k0 + full, tail), _mm256_maskload_ps(k1 + full, tail),
                            _mm256_maskload_ps(k2 + full, tail), _mm256_maskload_ps(k3 + full, tail)};
      for (int i = 0; i < R; ++i) {
        const __m256 qv = _mm256_maskload_ps(rows[i]->q + full, tail);
        for (int u = 0; u < 4; ++u) acc[i][u] = _mm256_fmadd_ps(qv, kv[u], acc[i][u]);
      }
    }
    for (int i = 0; i < R; ++i) {
      const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(acc[i][0], acc[i][1]), _mm256_hadd_ps(acc[i][2], acc[i][3]));
      __m128 dots = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
      dots = _mm_mul_ps(dots, _mm_set1_ps(scale));
      if (rows[i]->mask) dots = _mm_add_ps(dots, _mm_loadu_ps(rows[i]->mask + j));
      _mm_storeu_ps(s[i] + j, dots);
    }
  }
  for (; j < j1; ++j) {
    const float* kj = keys + j * ks;
    for (int i = 0; i < R; ++i) {
      const float* q = rows[i]->q;
      __m256 a = _mm256_setzero_ps();
      for (int64_t t = 0; t < full; t += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(q + t), _mm256_loadu_ps(kj + t), a);
      if (full < d) a = _mm256_fmadd_ps(_mm256_maskload_ps(q + full, tail), _mm256_maskload_ps(kj + full, tail), a);
      s[i][j] = hsum256(a) * scale + (rows[i]->mask ? rows[i]->mask[j] : 0.0f);
    }
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

// out_i = sum_j w_i[j] v_j over keys j in [j0, j1) for R query rows (added to out_i when
// `accumulate`), 32 columns at a time so that the accumulators stay in registers and each
// value load serves the R rows.
template <int R>
VLM_AVX2 void weighted_sum_avx2(const Row* const* rows, int64_t j0, int64_t j1, int64_t d, const float* const* w,
                                bool accumulate) {
  const int64_t vs = rows[0]->kv_row;
  for (int64_t c = 0; c < d; c += 32) {
    const int64_t width = d - c < 32 ? d - c : 32;
    __m256i masks[4];
    for (int u = 0; u < 4; ++u) masks[u] = tail_mask256(static_cast<int>(width - 8 * u));
    __m256 acc[R][4];
    for (int i = 0; i < R; ++i) {
      for (int u = 0; u < 4; ++u) {
        acc[i][u] = accumulate ? _mm256_maskload_ps(rows[i]->out + c + 8 * u, masks[u]) : _mm256_setzero_ps();
      }
    }
    const float* vc = rows[0]->v + c + j0 * vs;
    if (width == 32) {
      for (int64_t j = j0; j < j1; ++j, vc += vs) {
        __m256 wj[R];
        for (int i = 0; i < R; ++i) wj[i] = _mm256_set1_ps(w[i][j]);
        for (int u = 0; u < 4; ++u) {
          const __m256 vv = _mm256_loadu_ps(vc + 8 * u);
          for (int i = 0; i < R; ++i) acc[i][u] = _mm256_fmadd_ps(wj[i], vv, acc[i][u]);
        }
      }
      for (int i = 0; i < R; ++i) {
        for (int u = 0; u < 4; ++u) _mm256_storeu_ps(rows[i]->out + c + 8 * u, acc[i][u]);
      }
    } else {
      for (int64_t j = j0; j < j1; ++j, vc += vs) {
        __m256 wj[R];
        for (int i = 0; i < R; ++i) wj[i] = _mm256_set1_ps(w[i][j]);
        for (int u = 0; u < 4; ++u) {
          const __m256 vv = _mm256_maskload_ps(vc + 8 * u, masks[u]);
          for (int i = 0; i < R; ++i) acc[i][u] = _mm256_fmadd_ps(wj[i], vv, acc[i][u]);
        }
      }
      for (int i = 0; i < R; ++i) {
        for (int u = 0; u < 4; ++u) _mm256_maskstore_ps(rows[i]->out + c + 8 * u, masks[u], acc[i][u]);
      }
    }
  }
}

// Query row a, and b when not null (b sees at least the keys a sees, as under causality the
// next row does): scores, softmax and weighted sum, the pair sharing the keys both see.
VLM_AVX2 void attend_rows_avx2(const Row& a, const Row* b, int64_t d, float scale, float* sa, float* sb) {
  if (!b) {
    const Row* one[1] = {&a};
    scores_avx2<1>(one, 0, a.visible, d, scale, &sa);
    softmax_avx2(sa, a.visible);
    weighted_sum_avx2<1>(one, 0, a.visible, d, &sa, false);
    return;
  }
  const Row* pair[2] = {&a, b};
  float* s[2] = {sa, sb};
  const int64_t shared = a.visible;
  const Row* tail[1] = {b};
  scores_avx2<2>(pair, 0, shared, d, scale, s);
  scores_avx2<1>(tail, shared, b->visible, d, scale, &sb);
  softmax_avx2(sa, a.visible);
  softmax_avx2(sb, b->visible);
  const float* w[2] = {sa, sb};
  weighted_sum_avx2<2>(pair, 0, shared, d, w, false);
  weighted_sum_avx2<1>(tail, shared, b->visible, d, &w[1], true);
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
    const float w = s[j] *= inv;
    for (int64_t t = 0; t < d; ++t) r.out[t] += w * r.v[j * r.kv_row + t];
  }
}

// One query row of the backward: its gradient row, the key and value rows it saw, and the
// gradient rows of those keys and values (kv_row apart), which this call adds to.
struct GradRow {
  const float* q;         // [d]
  const float* k;         // visible rows of d, kv_row apart
  const float* v;
  const float* grad_out;  // [d]
  const float* p;         // [visible] softmax weights
  float* grad_q;          // [d], overwritten
  float* grad_k;          // visible rows of d, kv_row apart, added to
  float* grad_v;
  int64_t visible;
  int64_t kv_row;
};

// ds[j] = p[j] * (dp[j] - sum(p * dp)) * scale, dp[j] already in ds: the softmax backward
// with the score scale folded in.
void score_grads(const float* p, float* ds, int64_t n, float scale) {
  float delta = 0.0f;
  for (int64_t j = 0; j < n; ++j) delta += p[j] * ds[j];
  for (int64_t j = 0; j < n; ++j) ds[j] = p[j] * (ds[j] - delta) * scale;
}

// For keys j in [j0, j1) and each of the R query rows: grad_q += ds[j] k_j, grad_k[j] += ds[j] q,
// grad_v[j] += p[j] grad_out. W = 32 / R columns at a time, so that the rows' q, grad_out and
// grad_q accumulators stay in registers across keys, and R rows share each pass over the
// key and gradient rows (their loads and stores are the cost, not the multiply-adds).
template <int R>
VLM_AVX2 void accumulate_keys_avx2(const GradRow* const* rows, const float* const* ds, int64_t j0, int64_t j1,
                                   int64_t d) {
  constexpr int U = 4 / R;  // vectors per row per column chunk
  const GradRow& first = *rows[0];
  const int64_t kr = first.kv_row;
  for (int64_t c = 0; c < d; c += 8 * U) {
    const int64_t width = d - c < 8 * U ? d - c : 8 * U;
    __m256i masks[U];
    __m256 q[R][U], g[R][U], acc[R][U];
    for (int u = 0; u < U; ++u) masks[u] = tail_mask256(static_cast<int>(width - 8 * u));
    for (int i = 0; i < R; ++i) {
      for (int u = 0; u < U; ++u) {
        q[i][u] = _mm256_maskload_ps(rows[i]->q + c + 8 * u, masks[u]);
        g[i][u] = _mm256_maskload_ps(rows[i]->grad_out + c + 8 * u, masks[u]);
        acc[i][u] = _mm256_maskload_ps(rows[i]->grad_q + c + 8 * u, masks[u]);
      }
    }
    if (width == 8 * U) {
      for (int64_t j = j0; j < j1; ++j) {
        const float* kj = first.k + j * kr + c;
        float* dk = first.grad_k + j * kr + c;
        float* dv = first.grad_v + j * kr + c;
        for (int u = 0; u < U; ++u) {
          const __m256 kv = _mm256_loadu_ps(kj + 8 * u);
          __m256 dku = _mm256_loadu_ps(dk + 8 * u), dvu = _mm256_loadu_ps(dv + 8 * u);
          for (int i = 0; i < R; ++i) {
            const __m256 dsj = _mm256_set1_ps(ds[i][j]), pj = _mm256_set1_ps(rows[i]->p[j]);
            acc[i][u] = _mm256_fmadd_ps(dsj, kv, acc[i][u]);
            dku = _mm256_fmadd_ps(dsj, q[i][u], dku);
            dvu = _mm256_fmadd_ps(pj, g[i][u], dvu);
          }
          _mm256_storeu_ps(dk + 8 * u, dku);
          _mm256_storeu_ps(dv + 8 * u, dvu);
        }
      }
      for (int i = 0; i < R; ++i) {
        for (int u = 0; u < U; ++u) _mm256_storeu_ps(rows[i]->grad_q + c + 8 * u, acc[i][u]);
      }
    } else {
      for (int64_t j = j0; j < j1; ++j) {
        const float* kj = first.k + j * kr + c;
        float* dk = first.grad_k + j * kr + c;
        float* dv = first.grad_v + j * kr + c;
        for (int u = 0; u < U; ++u) {
          const __m256 kv = _mm256_maskload_ps(kj + 8 * u, masks[u]);
          __m256 dku = _mm256_maskload_ps(dk + 8 * u, masks[u]), dvu = _mm256_maskload_ps(dv + 8 * u, masks[u]);
          for (int i = 0; i < R; ++i) {
            const __m256 dsj = _mm256_set1_ps(ds[i][j]), pj = _mm256_set1_ps(rows[i]->p[j]);
            acc[i][u] = _mm256_fmadd_ps(dsj, kv, acc[i][u]);
            dku = _mm256_fmadd_ps(dsj, q[i][u], dku);
            dvu = _mm256_fmadd_ps(pj, g[i][u], dvu);
          }
          _mm256_maskstore_ps(dk + 8 * u, masks[u], dku);
          _mm256_maskstore_ps(dv + 8 * u, masks[u], dvu);
        }
      }
      for (int i = 0; i < R; ++i) {
        for (int u = 0; u < U; ++u) _mm256_maskstore_ps(rows[i]->grad_q + c + 8 * u, masks[u], acc[i][u]);
      }
    }
  }
}

// The backward of query row a, and b when not null (b sees at least the keys a sees), each
// with its own ds scratch row; the pair shares the passes over the keys both see.
VLM_AVX2 void grad_rows_avx2(const GradRow& a, const GradRow* b, int64_t d, float scale, float* ds_a, float* ds_b) {
  // dp[j] = grad_out . v_j: the scores kernel with grad_out as queries and v as keys.
  const Row dots_a{a.grad_out, a.v, nullptr, nullptr, nullptr, a.visible, a.kv_row};
  const Row* one[1] = {&dots_a};
  if (!b) {
    scores_avx2<1>(one, 0, a.visible, d, 1.0f, &ds_a);
  } else {
    const Row dots_b{b->grad_out, b->v, nullptr, nullptr, nullptr, b->visible, b->kv_row};
    const Row* pair[2] = {&dots_a, &dots_b};
    const Row* tail[1] = {&dots_b};
    float* ds[2] = {ds_a, ds_b};
    scores_avx2<2>(pair, 0, a.visible, d, 1.0f, ds);
    scores_avx2<1>(tail, a.visible, b->visible, d, 1.0f, &ds_b);
  }
  for (const GradRow* r : {&a, b}) {
    if (!r) continue;
    score_grads(r->p, r == &a ? ds_a : ds_b, r->visible, scale);
    for (int64_t t = 0; t < d; ++t) r->grad_q[t] = 0.0f;
  }
  if (!b) {
    const GradRow* rows[1] = {&a};
    const float* ds[1] = {ds_a};
    accumulate_keys_avx2<1>(rows, ds, 0, a.visible, d);
    return;
  }
  const GradRow* pair[2] = {&a, b};
  const float* pair_ds[2] = {ds_a, ds_b};
  accumulate_keys_avx2<2>(pair, pair_ds, 0, a.visible, d);
  const GradRow* tail[1] = {b};
  const float* tail_ds[1] = {ds_b};
  accumulate_keys_avx2<1>(tail, tail_ds, a.visible, b->visible, d);
}

void grad_row_portable(const GradRow& r, int64_t d, float scale, float* ds) {
  for (int64_t j = 0; j < r.visible; ++j) {
    float dot = 0.0f;
    for (int64_t t = 0; t < d; ++t) dot += r.grad_out[t] * r.v[j * r.kv_row + t];
    ds[j] = dot;
  }
  score_grads(r.p, ds, r.visible, scale);
  for (int64_t t = 0; t < d; ++t) r.grad_q[t] = 0.0f;
  for (int64_t j = 0; j < r.visible; ++j) {
    const float* kj = r.k + j * r.kv_row;
    float* dk = r.grad_k + j * r.kv_row;
    float* dv = r.grad_v + j * r.kv_row;
    for (int64_t t = 0; t < d; ++t) {
      r.grad_q[t] += ds[j] * kj[t];
      dk[t] += ds[j] * r.q[t];
      dv[t] += r.p[j] * r.grad_out[t];
    }
  }
}

// Element offsets in q/out (query row i of head h in batch b) and in k/v (the first key row of
// key/value head kvh in batch b), with the distance between consecutive key rows.
struct Offsets {
  const AttentionArgs& a;
  int64_t query(int64_t b, int64_t h, int64_t i) const {
    return a.blhd ? ((b * a.lq + i) * a.heads + h) * a.head_dim : ((b * a.heads + h) * a.lq + i) * a.head_dim;
  }
  int64_t keys(int64_t b, int64_t kvh) const {
    return a.blhd ? (b * a.lk * a.kv_heads + kvh) * a.head_dim : (b * a.kv_heads + kvh) * a.lk * a.head_dim;
  }
  int64_t key_row() const { return a.blhd ? a.kv_heads * a.head_dim : a.head_dim; }
  // Keys query i sees: all, or j <= i + (lk - lq) under causality (none when that is < 0).
  int64_t visible(int64_t i) const {
    const int64_t limit = i + a.lk - a.lq + 1;
    return !a.causal ? a.lk : limit < 0 ? 0 : limit < a.lk ? limit : a.lk;
  }
};

}  // namespace

void attention(const AttentionArgs& a) {
  const int64_t rows = a.batch * a.heads * a.lq;
  const int64_t d = a.head_dim;
  const int64_t group = a.heads / a.kv_heads;
  const bool avx2 = isa() != Isa::Portable;
  const int nthreads = threads_for(rows * a.lk * d, rows);
  // Two score rows (a pair of queries) per thread, allocated here: a failed allocation must throw in the calling
  // thread (where it becomes a JS exception), not terminate a worker.
  const size_t row_len = static_cast<size_t>(a.lk > 0 ? a.lk : 1);
  std::vector<float> scores(2 * row_len * nthreads);
  const Offsets at{a};
  pool().run(nthreads, [&](int tid, int nt) {
    int64_t begin, end;
    split_range(rows, nt, tid, &begin, &end);
    // Rows are numbered (b, h, i) as in probs, whatever the layout of q and out.
    const auto locate = [&](int64_t row) {
      const int64_t i = row % a.lq;
      const int64_t bh = row / a.lq;
      const int64_t b = bh / a.heads, h = bh % a.heads;
      const int64_t qo = at.query(b, h, i);
      const int64_t kv = at.keys(b, h / group);
      Row r;
      r.q = a.q + qo;
      r.out = a.out + qo;
      r.k = a.k + kv;
      r.v = a.v + kv;
      r.kv_row = at.key_row();
      r.mask = a.mask ? a.mask + ((a.mask_batch == 1 ? 0 : b) * a.mask_heads + (a.mask_heads == 1 ? 0 : h)) * a.lq * a.lk + i * a.lk
                      : nullptr;
      r.visible = at.visible(i);
      return r;
    };
    float* scratch = scores.data() + 2 * row_len * tid;
    const auto score_row = [&](int64_t row, int which) { return a.probs ? a.probs + row * a.lk : scratch + which * row_len; };
    for (int64_t row = begin; row < end;) {
      const Row r = locate(row);
      float* s = score_row(row, 0);
      if (a.probs) {
        for (int64_t j = r.visible; j < a.lk; ++j) s[j] = 0.0f;
      }
      // With lq > lk under causality the first queries see no key at all: the reference
      // leaves them at 0 (an empty sum), unlike a fully -inf masked row, which is NaN.
      if (r.visible == 0) {
        for (int64_t t = 0; t < d; ++t) r.out[t] = 0.0f;
        row += 1;
      } else if (!avx2) {
        attend_row_portable(r, d, a.scale, s);
        row += 1;
      } else if (row + 1 < end && (row + 1) % a.lq != 0) {
        // The next query of the same head, which sees at least these keys: a pair.
        const Row next = locate(row + 1);
        float* s2 = score_row(row + 1, 1);
        if (a.probs) {
          for (int64_t j = next.visible; j < a.lk; ++j) s2[j] = 0.0f;
        }
        attend_rows_avx2(r, &next, d, a.scale, s, s2);
        row += 2;
      } else {
        attend_rows_avx2(r, nullptr, d, a.scale, s, nullptr);
        row += 1;
      }
    }
  });
}

void attention_backward(const AttentionGradArgs& g) {
  const AttentionArgs& a = g.forward;
  const int64_t d = a.head_dim;
  const int64_t group = a.heads / a.kv_heads;
  const int64_t units = a.batch * a.kv_heads;  // one (batch, key/value head) per unit of work
  const bool avx2 = isa() != Isa::Portable;
  const int nthreads = threads_for(a.batch * a.heads * a.lq * a.lk * d, units);
  const size_t row_len = static_cast<size_t>(a.lk > 0 ? a.lk : 1);
  std::vector<float> scratch(2 * row_len * nthreads);  // dp, then ds, of two query rows per thread
  const Offsets at{a};
  const int64_t kr = at.key_row();
  pool().run(nthreads, [&](int tid, int nt) {
    int64_t begin, end;
    split_range(units, nt, tid, &begin, &end);
    float* ds = scratch.data() + 2 * row_len * tid;
    for (int64_t unit = begin; unit < end; ++unit) {
      const int64_t b = unit / a.kv_heads, kvh = unit % a.kv_heads;
      const int64_t kv = at.keys(b, kvh);
      for (int64_t j = 0; j < a.lk; ++j) {
        for (int64_t t = 0; t < d; ++t) g.grad_k[kv + j * kr + t] = g.grad_v[kv + j * kr + t] = 0.0f;
      }
      for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
        const auto row = [&](int64_t i) {
          const int64_t qo = at.query(b, h, i);
          GradRow r;
          r.q = a.q + qo;
          r.k = a.k + kv;
          r.v = a.v + kv;
          r.grad_out = g.grad_out + qo;
          r.p = a.probs + ((b * a.heads + h) * a.lq + i) * a.lk;
          r.grad_q = g.grad_q + qo;
          r.grad_k = g.grad_k + kv;
          r.grad_v = g.grad_v + kv;
          r.visible = at.visible(i);
          r.kv_row = kr;
          return r;
        };
        // Query rows in pairs on AVX2: they share the passes over the key rows.
        for (int64_t i = 0; i < a.lq;) {
          const GradRow r = row(i);
          if (r.visible == 0) {
            for (int64_t t = 0; t < d; ++t) r.grad_q[t] = 0.0f;
            i += 1;
          } else if (!avx2) {
            grad_row_portable(r, d, a.scale, ds);
            i += 1;
          } else if (i + 1 < a.lq) {
            const GradRow next = row(i + 1);  // sees at least the keys row i sees
            grad_rows_avx2(r, &next, d, a.scale, ds, ds + row_len);
            i += 2;
          } else {
            grad_rows_avx2(r, nullptr, d, a.scale, ds, nullptr);
            i += 1;
          }
        }
      }
    }
  });
}

}  // namespace vlm
