// Fused scaled dot-product attention: scores, mask, softmax and the weighted sum of V for one
// query row at a time, so the [lq, lk] score matrix never exists beyond one row per thread
// (unless the caller asks for the softmax weights, which training keeps for the backward).
// Rows of all (batch, head) pairs are split across threads in one pool job. The backward
// works a head at a time from the saved softmax weights, with threads owning whole
// key/value heads so that their gradient rows have a single writer.
#include <algorithm>
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
  int64_t query_row() const { return a.blhd ? a.heads * a.head_dim : a.head_dim; }
  // Keys query i sees: all, or j <= i + (lk - lq) under causality (none when that is < 0).
  int64_t visible(int64_t i) const {
    const int64_t limit = i + a.lk - a.lq + 1;
    return !a.causal ? a.lk : limit < 0 ? 0 : limit < a.lk ? limit : a.lk;
  }
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

// One query row of the portable backward: its gradient row, the key and value rows it saw,
// and the gradient rows of those keys and values (kv_row apart), which this call adds to.
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

// out_a = sum over i in [a0, a1) of wa[i] values_i, and likewise for b when not null (Row
// fields out, v = the values and kv_row = their distance): the pair shares the overlap of the
// two ranges, and each row adds the rest alone.
VLM_AVX2 void weighted_sums_avx2(const Row& a, int64_t a0, int64_t a1, const float* wa, const Row* b, int64_t b0,
                                 int64_t b1, const float* wb, int64_t d, bool accumulate) {
  const int64_t s0 = b ? std::max(a0, b0) : a1, s1 = b ? std::min(a1, b1) : a1;
  if (!b || s0 >= s1) {
    const Row* one[1] = {&a};
    weighted_sum_avx2<1>(one, a0, a1, d, &wa, accumulate);
    if (b) {
      one[0] = b;
      weighted_sum_avx2<1>(one, b0, b1, d, &wb, accumulate);
    }
    return;
  }
  const Row* pair[2] = {&a, b};
  const float* w[2] = {wa, wb};
  weighted_sum_avx2<2>(pair, s0, s1, d, w, accumulate);
  const int64_t from[2] = {a0, b0}, to[2] = {a1, b1};
  for (int r = 0; r < 2; ++r) {
    const Row* one[1] = {pair[r]};
    if (from[r] < s0) weighted_sum_avx2<1>(one, from[r], s0, d, &w[r], true);
    if (s1 < to[r]) weighted_sum_avx2<1>(one, s1, to[r], d, &w[r], true);
  }
}

// One query head against its key/value head: query rows q_row apart (q, grad_out, grad_q),
// key rows kv_row apart (k, v, grad_k, grad_v), softmax weights p [lq, lk].
struct HeadGrad {
  const float *q, *k, *v, *grad_out, *p;
  float *grad_q, *grad_k, *grad_v;
  int64_t q_row, kv_row;
};

// The backward of one head (AVX2) in three sweeps of weighted sums whose accumulators stay
// in registers: ds = P * (grad_out v^T - rowsum) * scale as an [lq, lk] block; grad_q = ds k
// by query rows; then grad_v (+)= P^T grad_out and grad_k (+)= ds^T q by key rows, from
// transposed blocks (added to when an earlier query head of the group wrote them). Rows and
// keys go in pairs that share each load. t is an [lk, lq] scratch block.
VLM_AVX2 void head_backward_avx2(const HeadGrad& hg, const Offsets& at, float scale, bool accumulate, float* ds, float* t) {
  const int64_t lq = at.a.lq, lk = at.a.lk, d = at.a.head_dim;
  const auto query = [&](const float* rows, float* out, const float* keys, int64_t i) {
    Row r{};
    r.q = rows + i * hg.q_row;
    r.out = out ? out + i * hg.q_row : nullptr;
    r.k = r.v = keys;
    r.kv_row = hg.kv_row;
    r.visible = at.visible(i);
    return r;
  };
  for (int64_t i = 0; i < lq; i += 2) {
    // dp[j] = grad_out_i . v_j: the scores kernel with grad_out as queries.
    const Row ra = query(hg.grad_out, nullptr, hg.v, i);
    float* s[2] = {ds + i * lk, ds + (i + 1) * lk};
    if (i + 1 < lq) {
      const Row rb = query(hg.grad_out, nullptr, hg.v, i + 1);  // sees at least ra's keys
      const Row* pair[2] = {&ra, &rb};
      const Row* tail[1] = {&rb};
      scores_avx2<2>(pair, 0, ra.visible, d, 1.0f, s);
      scores_avx2<1>(tail, ra.visible, rb.visible, d, 1.0f, &s[1]);
    } else {
      const Row* one[1] = {&ra};
      scores_avx2<1>(one, 0, ra.visible, d, 1.0f, s);
    }
  }
  for (int64_t i = 0; i < lq; ++i) {
    const int64_t visible = at.visible(i);
    score_grads(hg.p + i * lk, ds + i * lk, visible, scale);
    for (int64_t j = visible; j < lk; ++j) ds[i * lk + j] = 0.0f;
  }
  for (int64_t i = 0; i < lq; i += 2) {  // grad_q_i = sum_j ds[i][j] k_j
    const Row ra = query(hg.q, hg.grad_q, hg.k, i);
    const Row rb = i + 1 < lq ? query(hg.q, hg.grad_q, hg.k, i + 1) : Row{};
    weighted_sums_avx2(ra, 0, ra.visible, ds + i * lk, i + 1 < lq ? &rb : nullptr, 0, rb.visible, ds + (i + 1) * lk, d,
                       false);
  }
  // Key j is seen by query rows [first(j), lq).
  const auto first = [&](int64_t j) { return at.a.causal && j + lq - lk > 0 ? j + lq - lk : int64_t{0}; };
  const auto by_keys = [&](const float* block, const float* values, float* out) {
    for (int64_t i = 0; i < lq; ++i) {
      for (int64_t j = 0; j < lk; ++j) t[j * lq + i] = block[i * lk + j];
    }
    const auto key = [&](int64_t j) {
      Row r{};
      r.out = out + j * hg.kv_row;
      r.v = values;
      r.kv_row = hg.q_row;
      return r;
    };
    for (int64_t j = 0; j < lk; j += 2) {
      const Row ra = key(j);
      const Row rb = j + 1 < lk ? key(j + 1) : Row{};
      weighted_sums_avx2(ra, first(j), lq, t + j * lq, j + 1 < lk ? &rb : nullptr, first(j + 1), lq, t + (j + 1) * lq, d,
                         accumulate);
    }
  };
  by_keys(hg.p, hg.grad_out, hg.grad_v);
  by_keys(ds, hg.q, hg.grad_k);
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
  // Per thread: the ds block and its transpose (AVX2), or one ds row (portable).
  const size_t block = static_cast<size_t>(a.lq * a.lk > 0 ? a.lq * a.lk : 1);
  const size_t per_thread = avx2 ? 2 * block : static_cast<size_t>(a.lk > 0 ? a.lk : 1);
  std::vector<float> scratch(per_thread * nthreads);
  const Offsets at{a};
  const int64_t kr = at.key_row();
  pool().run(nthreads, [&](int tid, int nt) {
    int64_t begin, end;
    split_range(units, nt, tid, &begin, &end);
    float* ds = scratch.data() + per_thread * tid;
    for (int64_t unit = begin; unit < end; ++unit) {
      const int64_t b = unit / a.kv_heads, kvh = unit % a.kv_heads;
      const int64_t kv = at.keys(b, kvh);
      if (!avx2) {
        for (int64_t j = 0; j < a.lk; ++j) {
          for (int64_t t = 0; t < d; ++t) g.grad_k[kv + j * kr + t] = g.grad_v[kv + j * kr + t] = 0.0f;
        }
      }
      for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
        const int64_t qo = at.query(b, h, 0);
        const float* p = a.probs + (b * a.heads + h) * a.lq * a.lk;
        if (avx2) {
          const HeadGrad hg{a.q + qo, a.k + kv, a.v + kv, g.grad_out + qo, p, g.grad_q + qo, g.grad_k + kv, g.grad_v + kv,
                            at.query_row(), kr};
          head_backward_avx2(hg, at, a.scale, h > kvh * group, ds, ds + block);
          continue;
        }
        for (int64_t i = 0; i < a.lq; ++i) {
          const int64_t qi = at.query(b, h, i);
          GradRow r;
          r.q = a.q + qi;
          r.k = a.k + kv;
          r.v = a.v + kv;
          r.grad_out = g.grad_out + qi;
          r.p = p + i * a.lk;
          r.grad_q = g.grad_q + qi;
          r.grad_k = g.grad_k + kv;
          r.grad_v = g.grad_v + kv;
          r.visible = at.visible(i);
          r.kv_row = kr;
          if (r.visible == 0) {
            for (int64_t t = 0; t < d; ++t) r.grad_q[t] = 0.0f;
          } else {
            grad_row_portable(r, d, a.scale, ds);
          }
        }
      }
    }
  });
}

}  // namespace vlm
