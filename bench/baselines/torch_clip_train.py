"""PyTorch baseline for bench/clip-train.ts: one CLIP training step (forward, backward, AdamW).

A minimal CLIP in plain torch with the architecture of vlmkit's CLIPModel (Hugging Face
layout): a ViT image tower (patch conv without bias, class token, learned positions,
pre-LN "pre_layrnorm", pre-LN blocks, post-LN on the class token, projection without bias)
and a causal text transformer (token + position embeddings, pre-LN blocks, final LN, pooled
at the end-of-text token, projection without bias), QuickGELU, separate q/k/v projections.
Loss: symmetric InfoNCE on L2-normalised embeddings with a learned temperature.

Reads {config, batch, steps} as JSON on stdin, prints one JSON line. Run by bench/lib.ts with
OMP_WAIT_POLICY=PASSIVE and the thread variables set to BENCH_THREADS.
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.q_proj = nn.Linear(width, width)
        self.k_proj = nn.Linear(width, width)
        self.v_proj = nn.Linear(width, width)
        self.out_proj = nn.Linear(width, width)

    def forward(self, x, causal):
        b, n, d = x.shape
        h = self.heads
        q, k, v = (p(x).view(b, n, h, d // h).transpose(1, 2) for p in (self.q_proj, self.k_proj, self.v_proj))
        scores = (q @ k.transpose(-1, -2)) * (d // h) ** -0.5
        if causal:
            mask = torch.full((n, n), float("-inf")).triu(1)
            scores = scores + mask
        out = scores.softmax(-1) @ v
        return self.out_proj(out.transpose(1, 2).reshape(b, n, d))


class Block(nn.Module):
    def __init__(self, width, heads, mlp):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(width)
        self.self_attn = Attention(width, heads)
        self.layer_norm2 = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, mlp)
        self.act = QuickGELU()
        self.fc2 = nn.Linear(mlp, width)

    def forward(self, x, causal):
        x = x + self.self_attn(self.layer_norm1(x), causal)
        return x + self.fc2(self.act(self.fc1(self.layer_norm2(x))))


class Vision(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, p = c["hidden_size"], c["patch_size"]
        n = (c["image_size"] // p) ** 2 + 1
        self.patch_embedding = nn.Conv2d(3, d, p, stride=p, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(d) * d ** -0.5)
        self.position_embedding = nn.Embedding(n, d)
        self.pre_layrnorm = nn.LayerNorm(d)
        self.layers = nn.ModuleList(Block(d, c["num_attention_heads"], c["intermediate_size"]) for _ in range(c["num_hidden_layers"]))
        self.post_layernorm = nn.LayerNorm(d)

    def forward(self, pixels):
        x = self.patch_embedding(pixels).flatten(2).transpose(1, 2)  # [B, N, D]
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], 1) + self.position_embedding.weight
        x = self.pre_layrnorm(x)
        for layer in self.layers:
            x = layer(x, causal=False)
        return self.post_layernorm(x[:, 0])


class Text(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.token_embedding = nn.Embedding(c["vocab_size"], d)
        self.position_embedding = nn.Embedding(c["max_position_embeddings"], d)
        self.layers = nn.ModuleList(Block(d, c["num_attention_heads"], c["intermediate_size"]) for _ in range(c["num_hidden_layers"]))
        self.final_layer_norm = nn.LayerNorm(d)
        self.eos = c["eos_token_id"]

    def forward(self, ids):
        x = self.token_embedding(ids) + self.position_embedding.weight[: ids.shape[1]]
        for layer in self.layers:
            x = layer(x, causal=True)
        x = self.final_layer_norm(x)
        eot = (ids == self.eos).int().argmax(-1)  # the first end-of-text token
        return x[torch.arange(x.shape[0]), eot]


class CLIP(nn.Module):
    def __init__(self, config):
        super().__init__()
        v, t = config["vision_config"], config["text_config"]
        self.vision_model = Vision(v)
        self.text_model = Text(t)
        self.visual_projection = nn.Linear(v["hidden_size"], config["projection_dim"], bias=False)
        self.text_projection = nn.Linear(t["hidden_size"], config["projection_dim"], bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(config["logit_scale_init_value"]))

    def loss(self, pixels, ids):
        img = F.normalize(self.visual_projection(self.vision_model(pixels)), dim=-1)
        txt = F.normalize(self.text_projection(self.text_model(ids)), dim=-1)
        logits = img @ txt.t() * self.logit_scale.exp()
        target = torch.arange(ids.shape[0])
        return (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2


def main():
    threads = int(os.environ["BENCH_THREADS"])
    torch.set_num_threads(threads)
    job = json.load(sys.stdin)
    config, batch = job["config"], job["batch"]
    torch.manual_seed(0)
    model = CLIP(config)
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2 or "embedding" in n or "norm" in n]
    decay = [p for n, p in model.named_parameters() if not (p.ndim < 2 or "embedding" in n or "norm" in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=5e-4, betas=(0.9, 0.98), eps=1e-6)
    v, t = config["vision_config"], config["text_config"]
    pixels = torch.randn(batch, 3, v["image_size"], v["image_size"])
    length = t["max_position_embeddings"]
    ids = torch.full((batch, length), t["eos_token_id"], dtype=torch.long)
    ids[:, 0] = t["bos_token_id"]
    ids[:, 1:9] = torch.randint(300, 40000, (batch, 8))

    def step():
        loss = model.loss(pixels, ids)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, 4.605170185988092)

    step()  # warm-up: allocations, AdamW state
    best = float("inf")
    for _ in range(job["steps"]):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    print(json.dumps({"seconds_per_step": best, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
