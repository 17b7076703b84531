// Row-wise softmax, layer norm and RMS norm: one pass per statistic, rows split across threads.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels.h"
#include "simd_math.h"
#include "thread_pool.h"

namespace vlm {

namespace {

// Loads the tail of a row with absent lanes set to `fill`.
VLM_AVX2 inline __m256 load_tail(const float* p, __m256i mask, float fill) {
  return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, mask), _mm256_castsi256_ps(mask));
}

VLM_AVX2 void softmax_row_avx2(const float* x, float* out, int64_t n) {
  const int64_t full = n & ~int64_t{7};
  const __m256i tail = tail_mask256(static_cast<int>(n - full));
  // NaN lanes lose in max_ps(x, m), but they reach the sum below and make the row NaN, as in JS.
  __m256 vmax = _mm256_set1_ps(-INFINITY);
  for (int64_t j = 0; j < full; j += 8) vmax = _mm256_max_ps(_mm256_loadu_ps(x + j), vmax);
  if (full < n) vmax = _mm256_max_ps(load_tail(x + full, tail, -INFINITY), vmax);
  // An all -inf row gives -inf - -inf = NaN everywhere, matching the reference (and PyTorch).
  const __m256 m = _mm256_set1_ps(hmax256(vmax));
  __m256 sum = _mm256_setzero_ps();
  for (int64_t j = 0; j < full; j += 8) {
    const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), m));
    _mm256_storeu_ps(out + j, e);
    sum = _mm256_add_ps(sum, e);
  }
  if (full < n) {
    const __m256 e = exp256(_mm256_sub_ps(load_tail(x + full, tail, -INFINITY), m));
    _mm256_maskstore_ps(out + full, tail, e);
    sum = _mm256_add_ps(sum, _mm256_and_ps(e, _mm256_castsi256_ps(tail)));
  }
  const __m256 inv = _mm256_set1_ps(1.0f / hsum256(sum));
  for (int64_t j = 0; j < full; j += 8) _mm256_storeu_ps(out + j, _mm256_mul_ps(_mm256_loadu_ps(out + j), inv));
  if (full < n) _mm256_maskstore_ps(out + full, tail, _mm256_mul_ps(_mm256_maskload_ps(out + full, tail), inv));
}

void softmax_row_portable(const float* x, float* out, int64_t n) {
  float max = -INFINITY;
  for (int64_t j = 0; j < n; ++j) max = x[j] > max ? x[j] : max;
  float sum = 0.0f;
  for (int64_t j = 0; j < n; ++j) sum += out[j] = std::exp(x[j] - max);
  const float inv = 1.0f / sum;
  for (int64_t j = 0; j < n; ++j) out[j] *= inv;
}

VLM_AVX2 float sum_avx2(const float* x, int64_t n) {
  const int64_t full = n & ~int64_t{7};
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 16 <= full; j += 16) {
    s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + j));
    s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + j + 8));
  }
  if (j < full) s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + j));
  if (full < n) s1 = _mm256_add_ps(s1, load_tail(x + full, tail_mask256(static_cast<int>(n - full)), 0.0f));
  return hsum256(_mm256_add_ps(s0, s1));
}

struct Moments {
  float sum;     // sum(x - c)
  float sum_sq;  // sum((x - c)^2)
};

// Centred sums around c; with c = 0, sum_sq is the sum of squares.
VLM_AVX2 Moments moments_avx2(const float* x, int64_t n, float c) {
  const int64_t full = n & ~int64_t{7};
  const __m256 vc = _mm256_set1_ps(c);
  __m256 s = _mm256_setzero_ps(), q0 = _mm256_setzero_ps(), q1 = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 16 <= full; j += 16) {
    const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(x + j), vc);
    const __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(x + j + 8), vc);
    s = _mm256_add_ps(s, _mm256_add_ps(d0, d1));
    q0 = _mm256_fmadd_ps(d0, d0, q0);
    q1 = _mm256_fmadd_ps(d1, d1, q1);
  }
  if (j < full) {
    const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + j), vc);
    s = _mm256_add_ps(s, d);
    q0 = _mm256_fmadd_ps(d, d, q0);
  }
  if (full < n) {
    const __m256 d = _mm256_sub_ps(load_tail(x + full, tail_mask256(static_cast<int>(n - full)), c), vc);
    s = _mm256_add_ps(s, d);
    q1 = _mm256_fmadd_ps(d, d, q1);
  }
  return {hsum256(s), hsum256(_mm256_add_ps(q0, q1))};
}

// out = (x - c) * s * w + b, with w/b optional.
VLM_AVX2 void normalize_row_avx2(const float* x, const float* w, const float* b, float* out, int64_t n,
                                 float c, float s) {
  const __m256 vc = _mm256_set1_ps(c), vs = _mm256_set1_ps(s);
  const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
  for (int64_t j = 0; j < n; j += 8) {
    const int left = n - j < 8 ? static_cast<int>(n - j) : 8;
    const __m256i m = tail_mask256(left);
    const bool whole = left == 8;
    const __m256 xv = whole ? _mm256_loadu_ps(x + j) : _mm256_maskload_ps(x + j, m);
    __m256 y = _mm256_mul_ps(_mm256_sub_ps(xv, vc), vs);
    const __m256 wv = !w ? one : whole ? _mm256_loadu_ps(w + j) : _mm256_maskload_ps(w + j, m);
    const __m256 bv = !b ? zero : whole ? _mm256_loadu_ps(b + j) : _mm256_maskload_ps(b + j, m);
    y = _mm256_fmadd_ps(y, wv, bv);
    if (whole) _mm256_storeu_ps(out + j, y);
    else _mm256_maskstore_ps(out + j, m, y);
  }
}

void normalize_row_portable(const float* x, const float* w, const float* b, float* out, int64_t n,
                            float c, float s) {
  for (int64_t j = 0; j < n; ++j) {
    float y = (x[j] - c) * s;
    if (w) y *= w[j];
    if (b) y += b[j];
    out[j] = y;
  }
}

float sum_portable(const float* x, int64_t n) {
  float s = 0.0f;
  for (int64_t j = 0; j < n; ++j) s += x[j];
  return s;
}

Moments moments_portable(const float* x, int64_t n, float c) {
  Moments m = {0.0f, 0.0f};
  for (int64_t j = 0; j < n; ++j) {
    const float d = x[j] - c;
    m.sum += d;
    m.sum_sq += d * d;
  }
  return m;
}

// ---- Backward kernels. ----

// Lanes [0, left) of p (left in 1..8), the others 0.
VLM_AVX2 inline __m256 load_part(const float* p, int left) {
  return left == 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, tail_mask256(left));
}
VLM_AVX2 inline void store_part(float* p, int left, __m256 v) {
  if (left == 8) _mm256_storeu_ps(p, v);
  else _mm256_maskstore_ps(p, tail_mask256(left), v);
}
inline int lanes_left(int64_t n, int64_t j) { return n - j < 8 ? static_cast<int>(n - j) : 8; }

// dx = y (g - sum(g y)).
VLM_AVX2 void softmax_backward_row_avx2(const float* y, const float* g, float* dx, int64_t n) {
  __m256 d0 = _mm256_setzero_ps(), d1 = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    d0 = _mm256_fmadd_ps(_mm256_loadu_ps(g + j), _mm256_loadu_ps(y + j), d0);
    d1 = _mm256_fmadd_ps(_mm256_loadu_ps(g + j + 8), _mm256_loadu_ps(y + j + 8), d1);
  }
  for (; j < n; j += 8) {
    const int left = lanes_left(n, j);
    d0 = _mm256_fmadd_ps(load_part(g + j, left), load_part(y + j, left), d0);
  }
  const __m256 dot = _mm256_set1_ps(hsum256(_mm256_add_ps(d0, d1)));
  for (j = 0; j < n; j += 8) {
    const int left = lanes_left(n, j);
    store_part(dx + j, left, _mm256_mul_ps(load_part(y + j, left), _mm256_sub_ps(load_part(g + j, left), dot)));
  }
}

void softmax_backward_row_portable(const float* y, const float* g, float* dx, int64_t n) {
  float dot = 0.0f;
  for (int64_t j = 0; j < n; ++j) dot += g[j] * y[j];
  for (int64_t j = 0; j < n; ++j) dx[j] = y[j] * (g[j] - dot);
}

// One layer-norm row: dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = g w,
// xhat = (x - mean) rstd; dw += g xhat and db += g when given.
VLM_AVX2 void layer_norm_backward_row_avx2(const float* x, const float* w, const float* g, float* dx, float* dw,
                                           float* db, int64_t n, float mu, float rs) {
  const __m256 vmu = _mm256_set1_ps(mu), vrs = _mm256_set1_ps(rs), one = _mm256_set1_ps(1.0f);
  __m256 s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps();
  for (int64_t j = 0; j < n; j += 8) {
    const int left = lanes_left(n, j);
    const __m256 gv = load_part(g + j, left);
    const __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(load_part(x + j, left), vmu), vrs);
    const __m256 dxhat = w ? _mm256_mul_ps(gv, load_part(w + j, left)) : gv;
    s1 = _mm256_add_ps(s1, dxhat);
    s2 = _mm256_fmadd_ps(dxhat, xhat, s2);
    if (dw) store_part(dw + j, left, _mm256_fmadd_ps(gv, xhat, load_part(dw + j, left)));
    if (db) store_part(db + j, left, _mm256_add_ps(gv, load_part(db + j, left)));
  }
  const float inv_n = 1.0f / static_cast<float>(n);
  const __m256 m1 = _mm256_set1_ps(hsum256(s1) * inv_n), m2 = _mm256_set1_ps(hsum256(s2) * inv_n);
  for (int64_t j = 0; j < n; j += 8) {
    const int left = lanes_left(n, j);
    const __m256 gv = load_part(g + j, left);
    const __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(load_part(x + j, left), vmu), vrs);
    const __m256 dxhat = _mm256_mul_ps(gv, w ? load_part(w + j, left) : one);
    const __m256 r = _mm256_fnmadd_ps(xhat, m2, _mm256_sub_ps(dxhat, m1));
    store_part(dx + j, left, _mm256_mul_ps(vrs, r));
  }
}

void layer_norm_backward_row_portable(const float* x, const float* w, const float* g, float* dx, float* dw,
                                      float* db, int64_t n, float mu, float rs) {
  float s1 = 0.0f, s2 = 0.0f;
  for (int64_t j = 0; j < n; ++j) {
    const float xhat = (x[j] - mu) * rs;
    const float dxhat = g[j] * (w ? w[j] : 1.0f);
    s1 += dxhat;
    s2 += dxhat * xhat;
    if (dw) dw[j] += g[j] * xhat;
    if (db) db[j] += g[j];
  }
  const float m1 = s1 / static_cast<float>(n), m2 = s2 / static_cast<float>(n);
  for (int64_t j = 0; j < n; ++j) {
    const float xhat = (x[j] - mu) * rs;
    const float dxhat = g[j] * (w ? w[j] : 1.0f);
    dx[j] = rs * (dxhat - m1 - xhat * m2);
  }
}

// One RMS-norm row: dx = s g w - x s^3 mean(g w x); dw += g x s when given.
VLM_AVX2 void rms_norm_backward_row_avx2(const float* x, const float* w, const float* g, float* dx, float* dw,
                                         int64_t n, float rs) {
  const __m256 vrs = _mm256_set1_ps(rs), one = _mm256_set1_ps(1.0f);
  __m256 dot = _mm256_setzero_ps();
  for (int64_t j = 0; j < n; j += 8) {
    const int left = lanes_left(n, j);
    const __m256 gv = load_part(g + j, left), xv = load_part(x + j, left);
    const __m256 gw = w ? _mm256_mul_ps(gv, load_part(w + j, left)) : gv;
    dot = _mm256_fmadd_ps(gw, xv, dot);
    if (dw) store_part(dw + j, left, _mm256_fmadd_ps(_mm256_mul_ps(gv, xv), vrs, load_part(dw + j, left)));
  }
  const __m256 c = _mm256_set1_ps(rs * rs * rs * hsum256(dot) / static_cast<float>(n));
  for (int64_t j = 0; j < n; j += 8) {
    const int left = lanes_left(n, j);
    const __m256 gw = _mm256_mul_ps(load_part(g + j, left), w ? load_part(w + j, left) : one);
    store_part(dx + j, left, _mm256_fnmadd_ps(load_part(x + j, left), c, _mm256_mul_ps(vrs, gw)));
  }
}

void rms_norm_backward_row_portable(const float* x, const float* w, const float* g, float* dx, float* dw,
                                    int64_t n, float rs) {
  float dot = 0.0f;
  for (int64_t j = 0; j < n; ++j) {
    dot += g[j] * (w ? w[j] : 1.0f) * x[j];
    if (dw) dw[j] += g[j] * x[j] * rs;
  }
  const float c = rs * rs * rs * dot / static_cast<float>(n);
  for (int64_t j = 0; j < n; ++j) dx[j] = rs * g[j] * (w ? w[j] : 1.0f) - x[j] * c;
}

// Runs row_fn(r, partials...) over row ranges, one contiguous range per share, where share t
// accumulates into its own `nbuf` buffers of `cols` floats (share 0 straight into `outs`,
// which are zeroed first). The partials are then added into `outs` in share order, so sums
// depend on the thread count only. Null outs get null partials.
template <int NBuf, typename RowFn>
void rows_with_partials(int64_t rows, int64_t cols, float* const (&outs)[NBuf], const RowFn& row_fn) {
  bool any = false;
  for (float* o : outs) {
    if (o) {
      any = true;
      for (int64_t j = 0; j < cols; ++j) o[j] = 0.0f;
    }
  }
  const int want = threads_for(rows * cols, rows);
  const int nt = want < pool().size() ? want : pool().size();
  std::vector<float> scratch(any && nt > 1 ? static_cast<size_t>((nt - 1) * NBuf * cols) : 0, 0.0f);
  auto partial = [&](int tid, int b) -> float* {
    if (!outs[b]) return nullptr;
    if (tid == 0) return outs[b];
    return scratch.data() + (static_cast<size_t>(tid - 1) * NBuf + b) * cols;
  };
  pool().run(nt, [&](int tid, int shares) {
    int64_t b, e;
    split_range(rows, shares, tid, &b, &e);
    float* bufs[NBuf];
    for (int i = 0; i < NBuf; ++i) bufs[i] = partial(tid, i);
    for (int64_t r = b; r < e; ++r) row_fn(r, bufs);
  });
  if (!any) return;
  for (int t = 1; t < nt; ++t) {
    for (int i = 0; i < NBuf; ++i) {
      if (!outs[i]) continue;
      const float* p = partial(t, i);
      float* o = outs[i];
      for (int64_t j = 0; j < cols; ++j) o[j] += p[j];
    }
  }
}

template <typename RowFn>
void for_rows(int64_t rows, int64_t cols, const RowFn& fn) {
  pool().run(threads_for(rows * cols, rows), [&](int tid, int nt) {
    int64_t b, e;
    split_range(rows, nt, tid, &b, &e);
    for (int64_t r = b; r < e; ++r) fn(r);
  });
}

}  // namespace

void softmax_rows(const float* x, float* out, int64_t rows, int64_t cols) {
  const bool avx2 = isa() != Isa::Portable;
  for_rows(rows, cols, [&](int64_t r) {
    if (avx2) softmax_row_avx2(x + r * cols, out + r * cols, cols);
    else softmax_row_portable(x + r * cols, out + r * cols, cols);
  });
}

void layer_norm(const float* x, const float* weight, const float* bias, float* out, int64_t rows,
                int64_t cols, float eps, float* mean, float* rstd) {
  const bool avx2 = isa() != Isa::Portable;
  const float n = static_cast<float>(cols);
  for_rows(rows, cols, [&](int64_t r) {
    const float* xr = x + r * cols;
    // Corrected two-pass algorithm (Chan, Golub, LeVeque): a rough mean, then sums centred on
    // it, whose first moment fixes the mean's rounding error. A float32 sum alone is off by
    // ~1e-4 of the std when |mean| >> std (e.g. mean 1000, std 1).
    const float rough = (avx2 ? sum_avx2(xr, cols) : sum_portable(xr, cols)) / n;
    const Moments c = avx2 ? moments_avx2(xr, cols, rough) : moments_portable(xr, cols, rough);
    const float mu = rough + c.sum / n;
    const float var = (c.sum_sq - c.sum * c.sum / n) / n;
    const float rs = 1.0f / std::sqrt(var + eps);
    if (mean) mean[r] = mu;
    if (rstd) rstd[r] = rs;
    if (avx2) normalize_row_avx2(xr, weight, bias, out + r * cols, cols, mu, rs);
    else normalize_row_portable(xr, weight, bias, out + r * cols, cols, mu, rs);
  });
}

void rms_norm(const float* x, const float* weight, float* out, int64_t rows, int64_t cols, float eps,
              float* rstd) {
  const bool avx2 = isa() != Isa::Portable;
  const float n = static_cast<float>(cols);
  for_rows(rows, cols, [&](int64_t r) {
    const float* xr = x + r * cols;
    const float ss = (avx2 ? moments_avx2(xr, cols, 0.0f) : moments_portable(xr, cols, 0.0f)).sum_sq;
    const float rs = 1.0f / std::sqrt(ss / n + eps);
    if (rstd) rstd[r] = rs;
    if (avx2) normalize_row_avx2(xr, weight, nullptr, out + r * cols, cols, 0.0f, rs);
    else normalize_row_portable(xr, weight, nullptr, out + r * cols, cols, 0.0f, rs);
  });
}

void softmax_backward(const float* y, const float* g, float* dx, int64_t rows, int64_t cols) {
  const bool avx2 = isa() != Isa::Portable;
  for_rows(rows, cols, [&](int64_t r) {
    const int64_t o = r * cols;
    if (avx2) softmax_backward_row_avx2(y + o, g + o, dx + o, cols);
    else softmax_backward_row_portable(y + o, g + o, dx + o, cols);
  });
}

void layer_norm_backward(const float* x, const float* weight, const float* mean, const float* rstd,
                         const float* g, float* dx, float* dweight, float* dbias, int64_t rows, int64_t cols) {
  const bool avx2 = isa() != Isa::Portable;
  float* const outs[2] = {dweight, dbias};
  rows_with_partials<2>(rows, cols, outs, [&](int64_t r, float* const* bufs) {
    const int64_t o = r * cols;
    if (avx2) layer_norm_backward_row_avx2(x + o, weight, g + o, dx + o, bufs[0], bufs[1], cols, mean[r], rstd[r]);
    else layer_norm_backward_row_portable(x + o, weight, g + o, dx + o, bufs[0], bufs[1], cols, mean[r], rstd[r]);
  });
}

void rms_norm_backward(const float* x, const float* weight, const float* rstd, const float* g, float* dx,
                       float* dweight, int64_t rows, int64_t cols) {
  const bool avx2 = isa() != Isa::Portable;
  float* const outs[1] = {dweight};
  rows_with_partials<1>(rows, cols, outs, [&](int64_t r, float* const* bufs) {
    const int64_t o = r * cols;
    if (avx2) rms_norm_backward_row_avx2(x + o, weight, g + o, dx + o, bufs[0], cols, rstd[r]);
    else rms_norm_backward_row_portable(x + o, weight, g + o, dx + o, bufs[0], cols, rstd[r]);
  });
}

namespace {

// Columns [j0, j1) of sum_rows, a block of columns at a time so that the float64 sums stay in
// L1; each column is still summed over the rows in order (vectors run across columns only).
__attribute__((always_inline)) inline void sum_rows_impl(const float* x, float* out, int64_t rows, int64_t cols,
                                                         int64_t j0, int64_t j1) {
  constexpr int64_t kBlock = 256;
  double acc[kBlock];
  for (int64_t jb = j0; jb < j1; jb += kBlock) {
    const int64_t w = std::min(kBlock, j1 - jb);
    for (int64_t j = 0; j < w; ++j) acc[j] = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x + r * cols + jb;
      for (int64_t j = 0; j < w; ++j) acc[j] += static_cast<double>(xr[j]);
    }
    for (int64_t j = 0; j < w; ++j) out[jb + j] = static_cast<float>(acc[j]);
  }
}

VLM_AVX2 void sum_rows_avx2(const float* x, float* out, int64_t rows, int64_t cols, int64_t j0, int64_t j1) {
  sum_rows_impl(x, out, rows, cols, j0, j1);
}

}  // namespace

void sum_rows(const float* x, float* out, int64_t rows, int64_t cols) {
  // Threads take 16-column chunks (whole cache lines of each row).
  const int64_t chunks = (cols + 15) / 16;
  const bool avx2 = isa() != Isa::Portable;
  pool().run(threads_for(rows * cols, chunks), [&](int tid, int nt) {
    int64_t c0, c1;
    split_range(chunks, nt, tid, &c0, &c1);
    const int64_t j0 = c0 * 16, j1 = std::min(cols, c1 * 16);
    if (j0 >= j1) return;
    if (avx2) sum_rows_avx2(x, out, rows, cols, j0, j1);
    else sum_rows_impl(x, out, rows, cols, j0, j1);
  });
}

}  // namespace vlm
