// N-API bindings. Each call hands a whole operation to C++ (a call costs ~0.2 us, so never one
// per row or head). The TypeScript wrapper validates arguments with friendly messages; the
// checks here are the memory-safety backstop for anyone calling the addon directly.
#include <napi.h>

#include <cmath>
#include <string>

#include "cpu.h"
#include "gemm.h"
#include "kernels.h"
#include "malloc_tuning.h"
#include "thread_pool.h"

namespace {

using vlm::PackedB;

// Marks externals made by packB so that matmul never trusts a foreign pointer.
constexpr napi_type_tag kPackedTag = {0x766c6d6b69745f70ULL, 0x61636b656442ULL};

[[noreturn]] void fail(const Napi::Env& env, const std::string& message) {
  throw Napi::TypeError::New(env, "vlmkit native: " + message);
}

int64_t int_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const Napi::Value v = info[i];
  if (!v.IsNumber()) fail(info.Env(), std::string(name) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 9007199254740991.0 || std::floor(d) != d) {
    fail(info.Env(), std::string(name) + " must be a non-negative integer");
  }
  return static_cast<int64_t>(d);
}

double num_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) fail(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

bool bool_arg(const Napi::CallbackInfo& info, size_t i) { return info[i].ToBoolean().Value(); }

// A Float32Array of at least min_len elements, or null when optional and null/undefined.
float* f32_arg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min_len, bool optional = false) {
  const Napi::Value v = info[i];
  if (optional && (v.IsNull() || v.IsUndefined())) return nullptr;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    fail(info.Env(), std::string(name) + " must be a Float32Array");
  }
  Napi::Float32Array arr = v.As<Napi::Float32Array>();
  if (static_cast<int64_t>(arr.ElementLength()) < min_len) {
    fail(info.Env(), std::string(name) + " has " + std::to_string(arr.ElementLength()) + " elements, needs " +
                         std::to_string(min_len));
  }
  return arr.Data();
}

// Elements spanned by `count` matrices of `size` elements, `stride` apart.
int64_t extent(int64_t count, int64_t stride, int64_t size) { return count == 0 ? 0 : (count - 1) * stride + size; }

// Whether tune_malloc applied its settings when the addon loaded (Init).
bool malloc_tuned = false;

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("isa", vlm::isa_name(vlm::isa()));
  o.Set("threads", vlm::pool().size());
  o.Set("defaultThreads", vlm::default_threads());
  o.Set("attentionBlhd", true);  // attention reads [B, L, H, D] when its 16th argument is true
  o.Set("mallocTuned", malloc_tuned);
  return o;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  const int64_t n = int_arg(info, 0, "threads");
  if (n < 1 || n > 1024) fail(info.Env(), "threads must be in [1, 1024]");
  vlm::pool().resize(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Value PackB(const Napi::CallbackInfo& info) {
  const int64_t count = int_arg(info, 1, "count"), k = int_arg(info, 2, "k"), n = int_arg(info, 3, "n");
  const bool trans_b = bool_arg(info, 4);
  const int64_t stride_b = int_arg(info, 5, "strideB");
  const float* b = f32_arg(info, 0, "b", extent(count, stride_b, k * n));
  std::unique_ptr<PackedB> packed = vlm::pack_b(b, count, k, n, trans_b, stride_b);
  const int64_t bytes = static_cast<int64_t>(packed->bytes());
  Napi::Env env = info.Env();
  auto ext = Napi::External<PackedB>::New(env, packed.release(), [](Napi::Env env, PackedB* p) {
    Napi::MemoryManagement::AdjustExternalMemory(env, -static_cast<int64_t>(p->bytes()));
    delete p;
  });
  Napi::MemoryManagement::AdjustExternalMemory(env, bytes);
  NAPI_THROW_IF_FAILED(env, napi_type_tag_object(env, ext, &kPackedTag), Napi::Value());
  return ext;
}

Napi::Value Matmul(const Napi::CallbackInfo& info) {
  vlm::GemmArgs g;
  g.batch = int_arg(info, 3, "batch");
  g.m = int_arg(info, 4, "m");
  g.n = int_arg(info, 5, "n");
  g.k = int_arg(info, 6, "k");
  g.trans_a = bool_arg(info, 7);
  g.trans_b = bool_arg(info, 8);
  g.stride_a = int_arg(info, 9, "strideA");
  g.stride_b = int_arg(info, 10, "strideB");
  g.accumulate = bool_arg(info, 12);
  g.a = f32_arg(info, 0, "a", extent(g.batch, g.stride_a, g.m * g.k));
  g.c = f32_arg(info, 2, "out", g.batch * g.m * g.n);
  g.bias = f32_arg(info, 11, "bias", g.n, true);
  const PackedB* packed = nullptr;
  const Napi::Value pv = info[13];
  if (!pv.IsNull() && !pv.IsUndefined()) {
    bool tagged = false;
    if (pv.IsExternal()) napi_check_object_type_tag(info.Env(), pv, &kPackedTag, &tagged);
    if (!tagged) fail(info.Env(), "packed must come from packB");
    packed = pv.As<Napi::External<PackedB>>().Data();
    if (packed->k != g.k || packed->n != g.n || packed->trans_b != g.trans_b ||
        (packed->count != 1 && packed->count != g.batch)) {
      fail(info.Env(), "packed B does not match the product's k, n, transB or batch");
    }
    g.b = nullptr;
  } else {
    g.b = f32_arg(info, 1, "b", extent(g.batch, g.stride_b, g.k * g.n));
  }
  vlm::gemm(g, packed);
  return info.Env().Undefined();
}

Napi::Value MatmulHalfB(const Napi::CallbackInfo& info) {
  vlm::GemmArgs g;
  g.batch = int_arg(info, 4, "batch");
  g.m = int_arg(info, 5, "m");
  g.n = int_arg(info, 6, "n");
  g.k = int_arg(info, 7, "k");
  g.trans_a = bool_arg(info, 8);
  g.trans_b = bool_arg(info, 9);
  g.stride_a = int_arg(info, 10, "strideA");
  g.stride_b = int_arg(info, 11, "strideB");
  g.accumulate = bool_arg(info, 13);
  g.a = f32_arg(info, 0, "a", extent(g.batch, g.stride_a, g.m * g.k));
  g.c = f32_arg(info, 3, "out", g.batch * g.m * g.n);
  g.bias = f32_arg(info, 12, "bias", g.n, true);
  g.b = nullptr;
  const Napi::Value bv = info[1];
  if (!bv.IsTypedArray() || bv.As<Napi::TypedArray>().TypedArrayType() != napi_uint16_array) {
    fail(info.Env(), "bBits must be a Uint16Array");
  }
  Napi::Uint16Array bits = bv.As<Napi::Uint16Array>();
  if (static_cast<int64_t>(bits.ElementLength()) < extent(g.batch, g.stride_b, g.k * g.n)) {
    fail(info.Env(), "bBits is too short for batch, strideB, k and n");
  }
  const int64_t kind = int_arg(info, 2, "kind");
  if (kind > 1) fail(info.Env(), "kind must be 0 (f16) or 1 (bf16)");
  vlm::gemm_half(g, bits.Data(), kind == 0 ? vlm::HalfKind::F16 : vlm::HalfKind::BF16);
  return info.Env().Undefined();
}

Napi::Value Softmax(const Napi::CallbackInfo& info) {
  const int64_t rows = int_arg(info, 2, "rows"), cols = int_arg(info, 3, "cols");
  const float* x = f32_arg(info, 0, "x", rows * cols);
  float* out = f32_arg(info, 1, "out", rows * cols);
  vlm::softmax_rows(x, out, rows, cols);
  return info.Env().Undefined();
}

Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  const int64_t rows = int_arg(info, 4, "rows"), cols = int_arg(info, 5, "cols");
  const float eps = static_cast<float>(num_arg(info, 6, "eps"));
  vlm::layer_norm(f32_arg(info, 0, "x", rows * cols), f32_arg(info, 1, "weight", cols, true),
                  f32_arg(info, 2, "bias", cols, true), f32_arg(info, 3, "out", rows * cols), rows, cols, eps,
                  f32_arg(info, 7, "mean", rows, true), f32_arg(info, 8, "rstd", rows, true));
  return info.Env().Undefined();
}

Napi::Value RmsNorm(const Napi::CallbackInfo& info) {
  const int64_t rows = int_arg(info, 3, "rows"), cols = int_arg(info, 4, "cols");
  const float eps = static_cast<float>(num_arg(info, 5, "eps"));
  vlm::rms_norm(f32_arg(info, 0, "x", rows * cols), f32_arg(info, 1, "weight", cols, true),
                f32_arg(info, 2, "out", rows * cols), rows, cols, eps, f32_arg(info, 6, "rstd", rows, true));
  return info.Env().Undefined();
}

// add(a, b, out): out = a + b, all of out's length.
Napi::Value Add(const Napi::CallbackInfo& info) {
  if (!info[2].IsTypedArray()) fail(info.Env(), "out must be a Float32Array");
  const int64_t n = static_cast<int64_t>(info[2].As<Napi::TypedArray>().ElementLength());
  vlm::add(f32_arg(info, 0, "a", n), f32_arg(info, 1, "b", n), f32_arg(info, 2, "out", n), n);
  return info.Env().Undefined();
}

Napi::Value Activation(const Napi::CallbackInfo& info) {
  const int64_t kind = int_arg(info, 0, "kind");
  if (kind > static_cast<int64_t>(vlm::Activation::Silu)) fail(info.Env(), "unknown activation");
  if (!info[1].IsTypedArray()) fail(info.Env(), "x must be a Float32Array");
  const int64_t n = static_cast<int64_t>(info[1].As<Napi::TypedArray>().ElementLength());
  vlm::activation(static_cast<vlm::Activation>(kind), f32_arg(info, 1, "x", n), f32_arg(info, 2, "out", n), n);
  return info.Env().Undefined();
}

// activationBackward(kind, x, gradOut, gradIn): gradIn = gradOut * f'(x).
Napi::Value ActivationBackward(const Napi::CallbackInfo& info) {
  const int64_t kind = int_arg(info, 0, "kind");
  if (kind > static_cast<int64_t>(vlm::Activation::Silu)) fail(info.Env(), "unknown activation");
  if (!info[1].IsTypedArray()) fail(info.Env(), "x must be a Float32Array");
  const int64_t n = static_cast<int64_t>(info[1].As<Napi::TypedArray>().ElementLength());
  vlm::activation_backward(static_cast<vlm::Activation>(kind), f32_arg(info, 1, "x", n), f32_arg(info, 2, "gradOut", n),
                           f32_arg(info, 3, "gradIn", n), n);
  return info.Env().Undefined();
}

// adamwStep(p, g, m, v, decay, beta1, beta2, oneMinusBeta1, oneMinusBeta2, stepSize, bc2Sqrt, eps).
Napi::Value AdamWStep(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) fail(info.Env(), "p must be a Float32Array");
  const int64_t n = static_cast<int64_t>(info[0].As<Napi::TypedArray>().ElementLength());
  vlm::AdamWScalars h;
  float* fields[] = {&h.decay, &h.beta1, &h.beta2, &h.one_minus_beta1, &h.one_minus_beta2, &h.step_size, &h.bc2_sqrt, &h.eps};
  const char* names[] = {"decay", "beta1", "beta2", "oneMinusBeta1", "oneMinusBeta2", "stepSize", "bc2Sqrt", "eps"};
  for (size_t i = 0; i < 8; ++i) *fields[i] = static_cast<float>(num_arg(info, 4 + i, names[i]));
  vlm::adamw_step(f32_arg(info, 0, "p", n), f32_arg(info, 1, "g", n), f32_arg(info, 2, "m", n), f32_arg(info, 3, "v", n),
                  n, h);
  return info.Env().Undefined();
}

// sumRows(x, out, rows, cols).
Napi::Value SumRows(const Napi::CallbackInfo& info) {
  const int64_t rows = int_arg(info, 2, "rows"), cols = int_arg(info, 3, "cols");
  vlm::sum_rows(f32_arg(info, 0, "x", rows * cols), f32_arg(info, 1, "out", cols), rows, cols);
  return info.Env().Undefined();
}

// softmaxBackward(y, gradOut, gradIn, rows, cols).
Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  const int64_t rows = int_arg(info, 3, "rows"), cols = int_arg(info, 4, "cols");
  vlm::softmax_backward(f32_arg(info, 0, "y", rows * cols), f32_arg(info, 1, "gradOut", rows * cols),
                        f32_arg(info, 2, "gradIn", rows * cols), rows, cols);
  return info.Env().Undefined();
}

// layerNormBackward(x, weight, mean, rstd, gradOut, gradIn, gradWeight, gradBias, rows, cols).
Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  const int64_t rows = int_arg(info, 8, "rows"), cols = int_arg(info, 9, "cols");
  vlm::layer_norm_backward(f32_arg(info, 0, "x", rows * cols), f32_arg(info, 1, "weight", cols, true),
                           f32_arg(info, 2, "mean", rows), f32_arg(info, 3, "rstd", rows),
                           f32_arg(info, 4, "gradOut", rows * cols), f32_arg(info, 5, "gradIn", rows * cols),
                           f32_arg(info, 6, "gradWeight", cols, true), f32_arg(info, 7, "gradBias", cols, true), rows,
                           cols);
  return info.Env().Undefined();
}

// rmsNormBackward(x, weight, rstd, gradOut, gradIn, gradWeight, rows, cols).
Napi::Value RmsNormBackward(const Napi::CallbackInfo& info) {
  const int64_t rows = int_arg(info, 6, "rows"), cols = int_arg(info, 7, "cols");
  vlm::rms_norm_backward(f32_arg(info, 0, "x", rows * cols), f32_arg(info, 1, "weight", cols, true),
                         f32_arg(info, 2, "rstd", rows), f32_arg(info, 3, "gradOut", rows * cols),
                         f32_arg(info, 4, "gradIn", rows * cols), f32_arg(info, 5, "gradWeight", cols, true), rows,
                         cols);
  return info.Env().Undefined();
}

// The shape arguments both attention entry points take in this order, from index `first`:
// batch, heads, kvHeads, lq, lk, headDim, scale, causal.
void read_attention_shape(const Napi::CallbackInfo& info, size_t first, vlm::AttentionArgs& a) {
  a.batch = int_arg(info, first, "batch");
  a.heads = int_arg(info, first + 1, "heads");
  a.kv_heads = int_arg(info, first + 2, "kvHeads");
  a.lq = int_arg(info, first + 3, "lq");
  a.lk = int_arg(info, first + 4, "lk");
  a.head_dim = int_arg(info, first + 5, "headDim");
  a.scale = static_cast<float>(num_arg(info, first + 6, "scale"));
  a.causal = bool_arg(info, first + 7);
  if (a.kv_heads == 0 || a.heads % a.kv_heads != 0) fail(info.Env(), "heads must be a multiple of kvHeads");
}

Napi::Value Attention(const Napi::CallbackInfo& info) {
  vlm::AttentionArgs a;
  read_attention_shape(info, 4, a);
  a.mask_batch = int_arg(info, 13, "maskBatch");
  a.mask_heads = int_arg(info, 14, "maskHeads");
  a.blhd = info.Length() > 15 && bool_arg(info, 15);  // same element counts in either layout
  if ((a.mask_batch != 1 && a.mask_batch != a.batch) || (a.mask_heads != 1 && a.mask_heads != a.heads)) {
    fail(info.Env(), "maskBatch/maskHeads must be 1 or batch/heads");
  }
  a.q = f32_arg(info, 0, "q", a.batch * a.heads * a.lq * a.head_dim);
  a.k = f32_arg(info, 1, "k", a.batch * a.kv_heads * a.lk * a.head_dim);
  a.v = f32_arg(info, 2, "v", a.batch * a.kv_heads * a.lk * a.head_dim);
  a.out = f32_arg(info, 3, "out", a.batch * a.heads * a.lq * a.head_dim);
  a.mask = f32_arg(info, 12, "mask", a.mask_batch * a.mask_heads * a.lq * a.lk, true);
  a.probs = info.Length() > 16 ? f32_arg(info, 16, "probs", a.batch * a.heads * a.lq * a.lk, true) : nullptr;
  vlm::attention(a);
  return info.Env().Undefined();
}

// attentionBackward(q, k, v, probs, gradOut, gradQ, gradK, gradV, batch, heads, kvHeads, lq, lk,
// headDim, scale, causal, blhd)
Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  vlm::AttentionGradArgs g;
  vlm::AttentionArgs& a = g.forward;
  read_attention_shape(info, 8, a);
  a.blhd = bool_arg(info, 16);
  const int64_t q_len = a.batch * a.heads * a.lq * a.head_dim;
  const int64_t kv_len = a.batch * a.kv_heads * a.lk * a.head_dim;
  a.q = f32_arg(info, 0, "q", q_len);
  a.k = f32_arg(info, 1, "k", kv_len);
  a.v = f32_arg(info, 2, "v", kv_len);
  a.probs = f32_arg(info, 3, "probs", a.batch * a.heads * a.lq * a.lk);
  g.grad_out = f32_arg(info, 4, "gradOut", q_len);
  g.grad_q = f32_arg(info, 5, "gradQ", q_len);
  g.grad_k = f32_arg(info, 6, "gradK", kv_len);
  g.grad_v = f32_arg(info, 7, "gradV", kv_len);
  vlm::attention_backward(g);
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Once per process (a worker thread loading the addon again finds it done).
  static const bool tuned = vlm::tune_malloc();
  malloc_tuned = tuned;
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("packB", Napi::Function::New(env, PackB));
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("matmulHalfB", Napi::Function::New(env, MatmulHalfB));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("layerNorm", Napi::Function::New(env, LayerNorm));
  exports.Set("rmsNorm", Napi::Function::New(env, RmsNorm));
  exports.Set("add", Napi::Function::New(env, Add));
  exports.Set("activation", Napi::Function::New(env, Activation));
  exports.Set("attention", Napi::Function::New(env, Attention));
  exports.Set("attentionBackward", Napi::Function::New(env, AttentionBackward));
  exports.Set("activationBackward", Napi::Function::New(env, ActivationBackward));
  exports.Set("softmaxBackward", Napi::Function::New(env, SoftmaxBackward));
  exports.Set("sumRows", Napi::Function::New(env, SumRows));
  exports.Set("adamwStep", Napi::Function::New(env, AdamWStep));
  exports.Set("layerNormBackward", Napi::Function::New(env, LayerNormBackward));
  exports.Set("rmsNormBackward", Napi::Function::New(env, RmsNormBackward));
  return exports;
}

}  // namespace

NODE_API_MODULE(vlmkit_native, Init)
