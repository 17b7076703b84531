// The fused kernels behind the Backend interface (src/backend/backend.ts), on raw row-major
// float32 buffers whose sizes the TypeScript wrapper has already checked.
#pragma once

#include <cstdint>

namespace vlm {

enum class Activation { Gelu, GeluTanh, QuickGelu, Silu };

void activation(Activation kind, const float* x, float* out, int64_t n);

// out = a + b elementwise; out may alias a or b.
void add(const float* a, const float* b, float* out, int64_t n);

// dx = g * f'(x) for the activation `kind`.
void activation_backward(Activation kind, const float* x, const float* g, float* dx, int64_t n);

void softmax_rows(const float* x, float* out, int64_t rows, int64_t cols);

// weight/bias/mean/rstd may be null.
void layer_norm(const float* x, const float* weight, const float* bias, float* out, int64_t rows,
                int64_t cols, float eps, float* mean, float* rstd);

void rms_norm(const float* x, const float* weight, float* out, int64_t rows, int64_t cols,
              float eps, float* rstd);

// dx = y * (g - sum(g * y)) per row, y the softmax output.
// Backend.adamwStep: one AdamW step in place, every float32 operation rounded (no FMA).
struct AdamWScalars {
  float decay, beta1, beta2, one_minus_beta1, one_minus_beta2, step_size, bc2_sqrt, eps;
};
void adamw_step(float* p, const float* g, float* m, float* v, int64_t n, const AdamWScalars& h);

// out[j] = float(sum over r, in order, of double(x[r * cols + j])): bias gradients.
void sum_rows(const float* x, float* out, int64_t rows, int64_t cols);

void softmax_backward(const float* y, const float* g, float* dx, int64_t rows, int64_t cols);

// Layer norm backward from the forward's per-row mean and rstd. weight, dweight and dbias may be
// null; dweight/dbias are overwritten with sums over rows (per-thread partials added in thread
// order, so results depend only on the thread count, never on timing).
void layer_norm_backward(const float* x, const float* weight, const float* mean, const float* rstd,
                         const float* g, float* dx, float* dweight, float* dbias, int64_t rows, int64_t cols);

// RMS norm backward from the forward's per-row rstd; weight and dweight may be null.
void rms_norm_backward(const float* x, const float* weight, const float* rstd, const float* g, float* dx,
                       float* dweight, int64_t rows, int64_t cols);

struct AttentionArgs {
  const float* q;  // [batch, heads, lq, head_dim] ([batch, lq, heads, head_dim] when blhd)
  const float* k;  // [batch, kv_heads, lk, head_dim]
  const float* v;  // [batch, kv_heads, lk, head_dim]
  float* out;      // [batch, heads, lq, head_dim]
  int64_t batch, heads, kv_heads, lq, lk, head_dim;
  float scale;
  bool causal;
  const float* mask;  // [mask_batch, mask_heads, lq, lk] or null
  int64_t mask_batch, mask_heads;
  bool blhd = false;  // q, k, v, out laid out [batch, l, heads, head_dim] instead
  // [batch, heads, lq, lk] softmax weights (0 where causality hides a key) or null: attention
  // writes them when given, attention_backward reads them.
  float* probs = nullptr;
};

void attention(const AttentionArgs& a);

// Gradients of attention from the forward's arguments (out and mask unused) and probs; grad_q,
// grad_k and grad_v are overwritten, in the forward's layout.
struct AttentionGradArgs {
  AttentionArgs forward;
  const float* grad_out;
  float* grad_q;
  float* grad_k;
  float* grad_v;
};

void attention_backward(const AttentionGradArgs& g);

}  // namespace vlm
