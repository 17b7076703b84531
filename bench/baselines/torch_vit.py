"""PyTorch baseline for bench/vit.ts (and the ONNX export for its onnxruntime baseline).

The same architecture as vlmkit's VisionTransformer (Hugging Face CLIP vision layout): a
bias-free strided conv for the patches, a CLS token, learned positions, pre_layrnorm, pre-LN
blocks with separate q/k/v/out projections and attention written as matmul-softmax-matmul
(torch 1.13 has no fused scaled_dot_product_attention; 2.0+ uses it), QuickGELU (or GELU) MLP,
post_layernorm on the CLS token. Random weights: only the time matters.

stdin: {"config": {...HF vision config...}, "batch": 1, "export": "path.onnx" (optional)}
stdout: one JSON line {"backend": "pytorch", "threads": n, "batch": b, "ms": ...}, or
{"exported": path} when "export" is given (no timing then).
Run by bench/lib.ts with OMP_WAIT_POLICY=PASSIVE and the thread variables set to BENCH_THREADS;
the timing rule is the TypeScript side's (best of 5 batches of >= 150 ms, after 2 warm-ups).
"""
import json
import math
import os
import sys

from timing import seconds_per_call
import torch
from torch import nn
import torch.nn.functional as F

SDPA = getattr(F, "scaled_dot_product_attention", None)


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


def activation(name):
    if name == "quick_gelu":
        return QuickGELU()
    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return nn.GELU(approximate="tanh")
    if name == "silu":
        return nn.SiLU()
    if name == "relu":
        return nn.ReLU()
    return nn.GELU()


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.hd = heads, d // heads
        self.k_proj, self.v_proj, self.q_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x, causal_mask=None):
        b, l, d = x.shape
        split = lambda t: t.view(b, l, self.heads, self.hd).transpose(1, 2)  # [B, H, L, hd]
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        if SDPA is not None:
            o = SDPA(q, k, v, attn_mask=causal_mask)
        else:
            s = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.hd))
            if causal_mask is not None:
                s = s + causal_mask
            o = torch.matmul(torch.softmax(s, dim=-1), v)
        return self.out_proj(o.transpose(1, 2).reshape(b, l, d))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.self_attn = Attention(d, c["num_attention_heads"])
        self.layer_norm1 = nn.LayerNorm(d, eps=c["layer_norm_eps"])
        self.fc1 = nn.Linear(d, c["intermediate_size"])
        self.act = activation(c["hidden_act"])
        self.fc2 = nn.Linear(c["intermediate_size"], d)
        self.layer_norm2 = nn.LayerNorm(d, eps=c["layer_norm_eps"])

    def forward(self, x, causal_mask=None):
        x = x + self.self_attn(self.layer_norm1(x), causal_mask)
        return x + self.fc2(self.act(self.fc1(self.layer_norm2(x))))


class VisionTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, p = c["hidden_size"], c["patch_size"]
        n = (c["image_size"] // p) ** 2
        self.class_embedding = nn.Parameter(torch.randn(d) * d ** -0.5)
        self.patch_embedding = nn.Conv2d(c.get("num_channels", 3), d, p, stride=p, bias=False)
        self.position_embedding = nn.Parameter(torch.randn(n + 1, d) * 0.02)
        self.pre_layrnorm = nn.LayerNorm(d, eps=c["layer_norm_eps"])
        self.layers = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.post_layernorm = nn.LayerNorm(d, eps=c["layer_norm_eps"])

    def forward(self, pixels):
        x = self.patch_embedding(pixels).flatten(2).transpose(1, 2)  # [B, N, D]
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = self.pre_layrnorm(torch.cat([cls, x], dim=1) + self.position_embedding)
        for layer in self.layers:
            x = layer(x)
        return self.post_layernorm(x[:, 0])  # pooled [B, D]


VISION_DEFAULTS = dict(hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12,
                       image_size=224, patch_size=32, num_channels=3, hidden_act="quick_gelu", layer_norm_eps=1e-5)


def main():
    threads = int(os.environ.get("BENCH_THREADS", "1"))
    torch.set_num_threads(threads)
    req = json.load(sys.stdin)
    c = {**VISION_DEFAULTS, **req.get("config", {})}
    batch = req.get("batch", 1)
    torch.manual_seed(0)
    model = VisionTransformer(c).eval()
    pixels = torch.randn(batch, c["num_channels"], c["image_size"], c["image_size"])
    if req.get("export"):
        with torch.no_grad():
            torch.onnx.export(model, (pixels,), req["export"], input_names=["pixel_values"], output_names=["pooled"],
                              dynamic_axes={"pixel_values": {0: "batch"}, "pooled": {0: "batch"}},
                              opset_version=req.get("opset", 17), do_constant_folding=True)
        print(json.dumps({"exported": req["export"], "torch": torch.__version__}), flush=True)
        return
    with torch.inference_mode():
        seconds = seconds_per_call(lambda: model(pixels))
    print(json.dumps({"backend": "pytorch", "threads": threads, "batch": batch, "ms": seconds * 1e3,
                      "torch": torch.__version__, "sdpa": SDPA is not None}), flush=True)


if __name__ == "__main__":
    main()
