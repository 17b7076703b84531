"""PyTorch baseline for bench/clip.ts: CLIP image and text embeddings (get_image_features /
get_text_features) on the same shapes, random weights.

The towers are torch_vit.py's blocks in the Hugging Face CLIP layout: the image tower is its
VisionTransformer plus visual_projection; the text tower embeds tokens and positions, runs the
same pre-LN layers under an additive causal mask, final_layer_norm, pools the end-of-text token
and applies text_projection.

stdin: {"config": {HF CLIPConfig}, "cases": [{"tower": "image"|"text", "batch": b, "reps": r}]}
  reps 0: best of 5 batches of >= 150 ms after 2 warm-ups (latency, as the TypeScript side);
  reps r > 0: one warm-up, then the fastest of r single calls (long batched calls).
stdout: one JSON line per case {"tower", "batch", "threads", "backend": "pytorch", "ms"}.
"""
import json
import os
import sys
import time

import torch
from torch import nn

from torch_vit import VISION_DEFAULTS, Layer, VisionTransformer, seconds_per_call

TEXT_DEFAULTS = dict(hidden_size=512, intermediate_size=2048, num_attention_heads=8, num_hidden_layers=12,
                     max_position_embeddings=77, vocab_size=49408, hidden_act="quick_gelu", layer_norm_eps=1e-5,
                     eos_token_id=49407)


class TextTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.eos = c["eos_token_id"]
        self.token_embedding = nn.Embedding(c["vocab_size"], d)
        self.position_embedding = nn.Embedding(c["max_position_embeddings"], d)
        self.layers = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.final_layer_norm = nn.LayerNorm(d, eps=c["layer_norm_eps"])

    def forward(self, ids):
        b, l = ids.shape
        x = self.token_embedding(ids) + self.position_embedding.weight[:l]
        mask = torch.full((l, l), float("-inf")).triu_(1)
        for layer in self.layers:
            x = layer(x, mask)
        x = self.final_layer_norm(x)
        pos = (ids == self.eos).int().argmax(dim=-1)
        return x[torch.arange(b), pos]


class CLIP(nn.Module):
    def __init__(self, c):
        super().__init__()
        v = {**VISION_DEFAULTS, **c.get("vision_config", {})}
        t = {**TEXT_DEFAULTS, **c.get("text_config", {})}
        e = c.get("projection_dim", 512)
        self.vision_model = VisionTransformer(v)
        self.text_model = TextTransformer(t)
        self.visual_projection = nn.Linear(v["hidden_size"], e, bias=False)
        self.text_projection = nn.Linear(t["hidden_size"], e, bias=False)
        self.v, self.t = v, t

    def encode_image(self, pixels):
        return self.visual_projection(self.vision_model(pixels))

    def encode_text(self, ids):
        return self.text_projection(self.text_model(ids))


def main():
    threads = int(os.environ.get("BENCH_THREADS", "1"))
    torch.set_num_threads(threads)
    req = json.load(sys.stdin)
    torch.manual_seed(0)
    model = CLIP(req.get("config", {})).eval()
    v, t = model.v, model.t
    with torch.inference_mode():
        for case in req["cases"]:
            b = case["batch"]
            if case["tower"] == "image":
                pixels = torch.randn(b, v["num_channels"], v["image_size"], v["image_size"])
                fn = lambda: model.encode_image(pixels)
            else:
                l = t["max_position_embeddings"]
                ids = torch.randint(0, t["eos_token_id"] - 1, (b, l))
                ids[:, -1] = t["eos_token_id"]
                fn = lambda: model.encode_text(ids)
            if case.get("reps", 0) > 0:
                fn()
                best = float("inf")
                for _ in range(case["reps"]):
                    start = time.perf_counter()
                    fn()
                    best = min(best, time.perf_counter() - start)
            else:
                best = seconds_per_call(fn)
            print(json.dumps({"tower": case["tower"], "batch": b, "threads": threads, "backend": "pytorch",
                              "ms": best * 1e3, "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
