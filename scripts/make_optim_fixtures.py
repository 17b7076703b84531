#!/usr/bin/env python3
"""Dev-only: writes test/fixtures/optim.json, a few AdamW / SGD steps (and clip_grad_norm_,
and a warmup+cosine LambdaLR) computed by PyTorch, for src/optim/*.test.ts.

Run with a Python that has torch (here /usr/bin/python3):
    /usr/bin/python3 scripts/make_optim_fixtures.py
"""
import json
import math
import os

import torch

torch.manual_seed(0)
SHAPES = {"w1": [3, 4], "b1": [4], "w2": [2, 2]}
STEPS = 5


def vals(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


init = {k: torch.randn(*s) for k, s in SHAPES.items()}
grads = [{k: torch.randn(*s) for k, s in SHAPES.items()} for _ in range(8)]


def run(name, make_opt, steps=STEPS, lam=None, groups_spec=None):
    params = {k: v.clone().requires_grad_(True) for k, v in init.items()}
    groups = [{"params": [params[k] for k in g["params"]], **{kk: vv for kk, vv in g.items() if kk != "params"}} for g in groups_spec]
    opt = make_opt(groups)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lam) if lam else None
    history = []
    for s in range(steps):
        for k, p in params.items():
            p.grad = grads[s][k].clone()
        opt.step()
        if sched:
            sched.step()
        history.append({
            "params": {k: vals(p) for k, p in params.items()},
            "lrs": [g["lr"] for g in opt.param_groups],
        })
    return {"name": name, "groups": groups_spec, "steps": steps, "history": history}


def cosine(warmup, total, min_ratio):
    def f(step):
        if step < warmup:
            return step / max(1, warmup)
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return min_ratio + (1 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))
    return f


cases = [
    run("adamw", lambda g: torch.optim.AdamW(g, lr=1e-2, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1),
        groups_spec=[{"params": ["w1", "w2"], "weight_decay": 0.1}, {"params": ["b1"], "weight_decay": 0.0}]),
    run("adamw_defaults", lambda g: torch.optim.AdamW(g), groups_spec=[{"params": ["w1", "b1", "w2"]}]),
    run("adamw_cosine", lambda g: torch.optim.AdamW(g, lr=3e-2, weight_decay=0.05), steps=7,
        lam=cosine(2, 6, 0.1), groups_spec=[{"params": ["w1", "w2"]}, {"params": ["b1"], "weight_decay": 0.0, "lr": 1e-2}]),
    run("sgd_momentum", lambda g: torch.optim.SGD(g, lr=0.1, momentum=0.9, weight_decay=1e-2),
        groups_spec=[{"params": ["w1", "b1", "w2"]}]),
    run("sgd_nesterov", lambda g: torch.optim.SGD(g, lr=0.05, momentum=0.8, nesterov=True),
        groups_spec=[{"params": ["w1", "b1", "w2"]}]),
    run("sgd_plain", lambda g: torch.optim.SGD(g, lr=0.2, weight_decay=0.5),
        groups_spec=[{"params": ["w1", "b1", "w2"]}]),
    run("sgd_dampening", lambda g: torch.optim.SGD(g, lr=0.1, momentum=0.9, dampening=0.3),
        groups_spec=[{"params": ["w1", "b1", "w2"]}]),
]

clips = []
for max_norm in [1.0, 100.0]:
    ps = {k: v.clone().requires_grad_(True) for k, v in init.items()}
    for k, p in ps.items():
        p.grad = grads[0][k].clone()
    total = torch.nn.utils.clip_grad_norm_(list(ps.values()), max_norm)
    clips.append({"max_norm": max_norm, "total_norm": float(total), "grads": {k: vals(p.grad) for k, p in ps.items()}})

sched = cosine(10, 100, 0.1)
schedule = {"warmup": 10, "total": 100, "min_ratio": 0.1, "values": {str(s): sched(s) for s in [0, 1, 5, 10, 11, 55, 99, 100, 150]}}

out = {
    "torch": torch.__version__,
    "shapes": SHAPES,
    "init": {k: vals(v) for k, v in init.items()},
    "grads": [{k: vals(v) for k, v in g.items()} for g in grads],
    "cases": cases,
    "clip": clips,
    "schedule": schedule,
}
path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "optim.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path))
