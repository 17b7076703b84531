"""PyTorch baseline for bench/llama.ts: the same Llama-shaped decoder in plain torch.

Reads {"config": {...}, "prefill": N, "prompt": P, "steps": S, "dtypes": [...]} on stdin and
prints one JSON line per (dtype, phase). Random weights; the architecture is HF Llama's
(RMSNorm, rotate-half rotary, SwiGLU, untied head) with a KV cache, so the work per token is
the same as vlmkit's. torch 1.13 has no float16 matmul on CPU ("addmm_impl_cpu_" not
implemented for 'Half'): such a dtype is reported as skipped with torch's own message.
Timing: the best of a few runs, as the TypeScript side.
"""
import json
import os
import sys
import time

import torch

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


class Layer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        d, f = c["hidden_size"], c["intermediate_size"]
        self.heads = c["num_attention_heads"]
        self.hd = d // self.heads
        lin = lambda i, o: torch.nn.Linear(i, o, bias=False)
        self.q, self.k, self.v, self.o = lin(d, d), lin(d, d), lin(d, d), lin(d, d)
        self.gate, self.up, self.down = lin(d, f), lin(d, f), lin(f, d)
        self.n1 = torch.nn.Parameter(torch.ones(d))
        self.n2 = torch.nn.Parameter(torch.ones(d))
        self.eps = c["rms_norm_eps"]

    def norm(self, x, w):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype) * w

    def forward(self, x, cos, sin, cache):
        b, l, d = x.shape
        h = self.norm(x, self.n1)
        split = lambda t: t.view(b, l, self.heads, self.hd).transpose(1, 2)
        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        if cache:
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
        cache[:] = [k, v]
        t = k.shape[2]
        scores = (q @ k.transpose(-1, -2)) / self.hd ** 0.5
        if l > 1:
            mask = torch.full((l, t), float("-inf"), dtype=scores.dtype).triu(t - l + 1)
            scores = scores + mask
        att = torch.softmax(scores.float(), -1).to(q.dtype) @ v
        x = x + self.o(att.transpose(1, 2).reshape(b, l, d))
        h = self.norm(x, self.n2)
        return x + self.down(torch.nn.functional.silu(self.gate(h)) * self.up(h))


def rotate(x, cos, sin):
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], -1)
    return x * cos + rotated * sin


class Llama(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.embed = torch.nn.Embedding(c["vocab_size"], d)
        self.layers = torch.nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = torch.nn.Parameter(torch.ones(d))
        self.head = torch.nn.Linear(d, c["vocab_size"], bias=False)
        hd = d // c["num_attention_heads"]
        inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd))
        freqs = torch.outer(torch.arange(c["max_position_embeddings"]).float(), inv)
        emb = torch.cat([freqs, freqs], -1)
        self.cos_table, self.sin_table = emb.cos(), emb.sin()

    def forward(self, ids, caches, start):
        x = self.embed(ids)
        l = ids.shape[1]
        cos = self.cos_table[start:start + l].to(x.dtype)
        sin = self.sin_table[start:start + l].to(x.dtype)
        for layer, cache in zip(self.layers, caches):
            x = layer(x, cos, sin, cache)
        x = self.layers[0].norm(x[:, -1:], self.norm)
        return self.head(x)


def best_of(runs, fn):
    fn()
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    threads = int(os.environ["BENCH_THREADS"])
    torch.set_num_threads(threads)
    job = json.load(sys.stdin)
    c = job["config"]
    torch.manual_seed(0)
    model = Llama(c).eval()
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.02)
    vocab = c["vocab_size"]
    prefill_ids = torch.randint(3, vocab, (1, job["prefill"]))
    prompt_ids = torch.randint(3, vocab, (1, job["prompt"]))
    base = {"bench": "llama", "backend": "pytorch", "threads": threads, "torch": torch.__version__}
    for name in job["dtypes"]:
        m = model.to(DTYPES[name])
        with torch.inference_mode():
            try:
                m(prefill_ids[:, :2], [[] for _ in m.layers], 0)
            except RuntimeError as err:
                print(json.dumps({**base, "dtype": name, "skipped": str(err)}), flush=True)
                continue
            prefill = best_of(2, lambda: m(prefill_ids, [[] for _ in m.layers], 0))
            print(json.dumps({**base, "dtype": name, "phase": "prefill", "tokens": job["prefill"],
                              "tokens_per_s": job["prefill"] / prefill}), flush=True)

            def decode():
                caches = [[] for _ in m.layers]
                logits = m(prompt_ids, caches, 0)
                start = time.perf_counter()
                for i in range(job["steps"]):
                    token = logits[:, -1].argmax(-1, keepdim=True)
                    logits = m(token, caches, job["prompt"] + i)
                return time.perf_counter() - start

            seconds = min(decode() for _ in range(3))
            print(json.dumps({**base, "dtype": name, "phase": "decode", "tokens": job["steps"],
                              "tokens_per_s": job["steps"] / seconds}), flush=True)


if __name__ == "__main__":
    main()
