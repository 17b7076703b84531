#!/usr/bin/python3
"""Reference values for the op tests (dev only; tests read the saved file, never Python).

Run with the Debian PyTorch (the pyenv `python3` on PATH has no torch):

    /usr/bin/python3 scripts/make_op_fixtures.py

Writes test/fixtures/ops.safetensors. For every case it stores the inputs (float32, or int64
indices), the float32 forward output from torch, a fixed random weight tensor `w` shaped like
the output, and the float64 gradients of sum(out * w) with respect to each differentiable input
(computed from the very same float32 inputs, upcast). The case table travels in the header's
__metadata__["index"] as JSON: [{name, family, op, params, inputs: [{key, grad}], out, w, grads}].

Inputs come from one seeded torch.Generator, nudged away from kinks (relu/abs at 0, clamp
bounds, ties in max) so that finite differences with eps = 1e-2 never straddle one.
"""
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "ops.safetensors")
gen = torch.Generator().manual_seed(1234)


def randn(*shape, scale=1.0):
    return torch.randn(tuple(shape), generator=gen, dtype=torch.float32) * scale


def uniform(*shape, low=0.0, high=1.0):
    return torch.rand(tuple(shape), generator=gen, dtype=torch.float32) * (high - low) + low


def away(x, points=(0.0,), margin=0.05):
    """Moves values within `margin` of any point to point +- margin (keeps the sign side)."""
    x = x.clone()
    for p in points:
        d = x - p
        close = d.abs() < margin
        x[close] = p + torch.where(d[close] >= 0, torch.tensor(margin), torch.tensor(-margin))
    return x


def distinct(*shape, gap=0.1):
    """A random permutation of well-separated values (no ties, gaps > 2 eps)."""
    n = math.prod(shape)
    perm = torch.randperm(n, generator=gen).to(torch.float32)
    return ((perm - n / 2) * gap + uniform(n, low=0, high=gap * 0.3)).reshape(shape)


def positive(*shape, low=0.5, high=2.0):
    return uniform(*shape, low=low, high=high)


def ids(shape, high):
    return torch.randint(0, high, shape, generator=gen, dtype=torch.int64)


# ---- torch versions of the ops, named as the TypeScript test tables name them -----------------

def attention_ref(q, k, v, p, mask=None):
    h, hkv = q.shape[1], k.shape[1]
    if hkv != h:
        k = k.repeat_interleave(h // hkv, dim=1)
        v = v.repeat_interleave(h // hkv, dim=1)
    scale = p.get("scale", 1 / math.sqrt(q.shape[-1]))
    s = q @ k.transpose(-1, -2) * scale
    if mask is not None:
        s = s + mask
    if p.get("causal"):
        lq, lk = s.shape[-2], s.shape[-1]
        i = torch.arange(lq).unsqueeze(1)
        j = torch.arange(lk).unsqueeze(0)
        s = s.masked_fill(j > i + (lk - lq), float("-inf"))
    return torch.softmax(s, -1) @ v


def rms_norm(x, w, eps):
    y = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return y * w if w is not None else y


def cross_entropy(logits, targets, p):
    # Ours has classes last; torch wants them at dim 1.
    if logits.dim() > 2:
        logits = logits.movedim(-1, 1)
    return F.cross_entropy(logits, targets, ignore_index=p.get("ignoreIndex", -100),
                           label_smoothing=p.get("labelSmoothing", 0.0), reduction=p.get("reduction", "mean"))


def mm(a, b, p):
    if p.get("transA"):
        a = a.transpose(-1, -2)
    if p.get("transB"):
        b = b.transpose(-1, -2)
    return torch.matmul(a, b)


def reduce(fn):
    def run(x, p):
        if "axes" not in p:
            return fn(x, None, False)
        return fn(x, p["axes"], p.get("keepDim", False))
    return run


def extreme(name):
    def run(x, p):
        if "axis" not in p:
            r = getattr(torch, name)(x)
            return r
        r = getattr(torch, name)(x, p["axis"], keepdim=p.get("keepDim", False))
        return r.values if hasattr(r, "values") else r
    return run


def arg(name):
    def run(x, p):
        if "axis" not in p:
            return getattr(torch, name)(x)
        return getattr(torch, name)(x, p["axis"], keepdim=p.get("keepDim", False))
    return run


def conv(x, w, b=None, p=None):
    p = p or {}
    return F.conv2d(x, w, b, stride=p.get("stride", 1), padding=p.get("padding", 0),
                    dilation=p.get("dilation", 1), groups=p.get("groups", 1))


def sum_to_shape(g, p):
    shape = p["shape"]
    lead = g.dim() - len(shape)
    axes = [i for i in range(g.dim()) if i < lead or (shape[i - lead] == 1 and g.shape[i] != 1)]
    return g.sum(axes, keepdim=True).reshape(shape)


OPS = {
    # elementwise
    "add": lambda a, b, p: a + b,
    "sub": lambda a, b, p: a - b,
    "mul": lambda a, b, p: a * b,
    "div": lambda a, b, p: a / b,
    "powScalar": lambda a, p: a ** p["exponent"],
    "pow": lambda a, b, p: a ** b,
    "maximum": lambda a, b, p: torch.maximum(a, b),
    "minimum": lambda a, b, p: torch.minimum(a, b),
    "where": lambda c, a, b, p: torch.where(c != 0, a, b),
    "greater": lambda a, b, p: (a > b).to(a.dtype),
    "less": lambda a, b, p: (a < b).to(a.dtype),
    "equal": lambda a, b, p: (a == b).to(a.dtype),
    "neg": lambda a, p: -a,
    "exp": lambda a, p: a.exp(),
    "log": lambda a, p: a.log(),
    "sqrt": lambda a, p: a.sqrt(),
    "rsqrt": lambda a, p: a.rsqrt(),
    "tanh": lambda a, p: a.tanh(),
    "sigmoid": lambda a, p: a.sigmoid(),
    "erf": lambda a, p: torch.erf(a),
    "abs": lambda a, p: a.abs(),
    "relu": lambda a, p: torch.relu(a),
    "clamp": lambda a, p: a.clamp(p.get("min"), p.get("max")),
    # reductions
    "sum": reduce(lambda x, axes, keep: x.sum() if axes is None else x.sum(axes, keepdim=keep)),
    "mean": reduce(lambda x, axes, keep: x.mean() if axes is None else x.mean(axes, keepdim=keep)),
    "max": extreme("max"),
    "min": extreme("min"),
    "argmax": arg("argmax"),
    "argmin": arg("argmin"),
    "sumToShape": sum_to_shape,
    # layout
    "reshape": lambda x, p: x.reshape(p["shape"]),
    "permute": lambda x, p: x.permute(p["dims"]),
    "transpose": lambda x, p: x.transpose(p["dim0"], p["dim1"]),
    "slice": lambda x, p: x.narrow(p["dim"], 0, x.shape[p["dim"]]).__getitem__(
        tuple([slice(None)] * (p["dim"] % x.dim()) + [slice(p["start"], p.get("end"), p.get("step", 1))])),
    "concat": lambda *a: torch.cat(a[:-1], a[-1]["dim"]),
    "stack": lambda *a: torch.stack(a[:-1], a[-1]["dim"]),
    "split": lambda x, p: torch.cat([t.reshape(-1) for t in torch.split(x, p["sizes"], p["dim"])]),
    "chunk": lambda x, p: torch.cat([t.reshape(-1) for t in torch.chunk(x, p["chunks"], p["dim"])]),
    "squeeze": lambda x, p: x.squeeze(p["dim"]) if "dim" in p else x.squeeze(),
    "unsqueeze": lambda x, p: x.unsqueeze(p["dim"]),
    "flatten": lambda x, p: x.flatten(p.get("start", 0), p.get("end", -1)),
    "expand": lambda x, p: x.expand(p["shape"]),
    # indexing
    "indexSelect": lambda x, i, p: x.index_select(p["dim"], i.reshape(-1)).reshape(
        list(x.shape[:p["dim"]]) + list(i.shape) + list(x.shape[p["dim"] + 1:])),
    "embedding": lambda i, w, p: F.embedding(i, w),
    "gather": lambda x, i, p: torch.gather(x, p["dim"], i),
    # matmul
    "matmul": lambda a, b, p: mm(a, b, p),
    "linear": lambda x, w, *rest: F.linear(x, w, rest[0] if len(rest) == 2 else None),
    # activations
    "gelu": lambda x, p: F.gelu(x),
    "geluTanh": lambda x, p: F.gelu(x, approximate="tanh"),
    "quickGelu": lambda x, p: x * torch.sigmoid(1.702 * x),
    "silu": lambda x, p: F.silu(x),
    # softmax family
    "softmax": lambda x, p: torch.softmax(x, p.get("dim", -1)),
    "logSoftmax": lambda x, p: torch.log_softmax(x, p.get("dim", -1)),
    "logsumexp": lambda x, p: torch.logsumexp(x, p.get("dim", -1), keepdim=p.get("keepDim", False)),
    # norms
    "layerNorm": lambda x, *rest: F.layer_norm(
        x, x.shape[-1:], rest[0] if len(rest) >= 2 else None, rest[1] if len(rest) == 3 else None, rest[-1].get("eps", 1e-5)),
    "rmsNorm": lambda x, *rest: rms_norm(x, rest[0] if len(rest) == 2 else None, rest[-1].get("eps", 1e-6)),
    # conv / pool
    "conv2d": lambda x, w, *rest: conv(x, w, rest[0] if len(rest) == 2 else None, rest[-1]),
    "avgPool2d": lambda x, p: F.avg_pool2d(x, p["kernel"], p.get("stride", p["kernel"]), p.get("padding", 0)),
    "maxPool2d": lambda x, p: F.max_pool2d(x, p["kernel"], p.get("stride", p["kernel"]), p.get("padding", 0)),
    # loss
    "crossEntropy": lambda x, t, p: cross_entropy(x, t, p),
    # attention (the reference composition; fused and composed TS paths are both checked)
    "attention": lambda q, k, v, *rest: attention_ref(q, k, v, rest[-1], rest[0] if len(rest) == 2 else None),
}

cases = []


def case(family, name, op, inputs, params=None, grads=None):
    """inputs: list of tensors; grads: indices of inputs to differentiate (default: all float)."""
    if grads is None:
        grads = [i for i, t in enumerate(inputs) if t.is_floating_point()]
    cases.append(dict(family=family, name=name, op=op, inputs=inputs, params=params or {}, grads=grads))


E, R, L, I, M, A, S, N, C, X, T = ("elementwise", "reduce", "layout", "indexing", "matmul", "activation",
                                    "softmax", "norm", "conv", "loss", "attention")

# elementwise -----------------------------------------------------------------------------------
case(E, "add same shape", "add", [randn(3, 4), randn(3, 4)])
case(E, "add bias row [2,3,4]+[4]", "add", [randn(2, 3, 4), randn(4)])
case(E, "add two-sided broadcast [2,1,4]+[3,1]", "add", [randn(2, 1, 4), randn(3, 1)])
case(E, "add 0-d + [3]", "add", [randn(), randn(3)])
case(E, "sub [4,3]-[4,1]", "sub", [randn(4, 3), randn(4, 1)])
case(E, "sub [3]-[2,3] (b bigger)", "sub", [randn(3), randn(2, 3)])
case(E, "mul [2,3,4]*[3,1]", "mul", [randn(2, 3, 4), randn(3, 1)])
case(E, "div [3,4]/[1,4]", "div", [randn(3, 4), away(randn(1, 4), margin=0.5)])
case(E, "pow x^2.5", "powScalar", [positive(3, 4)], {"exponent": 2.5})
case(E, "pow x^-1 ", "powScalar", [positive(3, 4)], {"exponent": -1})
case(E, "pow tensor exponent [3,4]^[4]", "pow", [positive(3, 4), randn(4)])
b = randn(4)
case(E, "maximum [3,4],[4]", "maximum", [b + away(randn(3, 4), margin=0.1), b])
b = randn(3, 4)
case(E, "minimum [3,4],[3,4]", "minimum", [b, b + away(randn(3, 4), margin=0.1)])
case(E, "where cond [3,1]", "where", [torch.tensor([[1.0], [0.0], [1.0]]), randn(3, 4), randn(4)], grads=[1, 2])
g1 = randn(3, 4).round()
case(E, "greater", "greater", [g1, randn(4).round()], grads=[])
case(E, "less", "less", [g1, randn(4).round()], grads=[])
case(E, "equal", "equal", [g1, randn(3, 1).round()], grads=[])
case(E, "neg", "neg", [randn(3, 5)])
case(E, "exp", "exp", [randn(3, 5)])
case(E, "log", "log", [positive(3, 5, low=0.2, high=5)])
case(E, "sqrt", "sqrt", [positive(3, 5, low=0.2, high=5)])
case(E, "rsqrt", "rsqrt", [positive(3, 5, low=0.2, high=5)])
case(E, "tanh", "tanh", [randn(3, 5, scale=1.5)])
case(E, "sigmoid", "sigmoid", [randn(3, 5, scale=3)])
case(E, "erf", "erf", [randn(3, 5, scale=1.5)])
case(E, "abs", "abs", [away(randn(3, 5))])
case(E, "relu", "relu", [away(randn(3, 5))])
case(E, "clamp [-0.5, 0.7]", "clamp", [away(randn(3, 5), (-0.5, 0.7))], {"min": -0.5, "max": 0.7})
case(E, "clamp min only", "clamp", [away(randn(3, 5), (0.2,))], {"min": 0.2})

# reductions ------------------------------------------------------------------------------------
case(R, "sum all", "sum", [randn(2, 3, 4)])
case(R, "sum axis 1", "sum", [randn(2, 3, 4)], {"axes": 1})
case(R, "sum axes [0,2] keepDim", "sum", [randn(2, 3, 4)], {"axes": [0, 2], "keepDim": True})
case(R, "sum axis -1 keepDim", "sum", [randn(2, 3, 4)], {"axes": -1, "keepDim": True})
case(R, "mean all", "mean", [randn(2, 3, 4)])
case(R, "mean axes [0,2]", "mean", [randn(2, 3, 4)], {"axes": [0, 2]})
case(R, "mean axis 1 keepDim", "mean", [randn(2, 3, 4)], {"axes": 1, "keepDim": True})
case(R, "max all", "max", [distinct(3, 4)])
case(R, "max axis 1", "max", [distinct(2, 3, 4)], {"axis": 1})
case(R, "max axis 0 keepDim", "max", [distinct(3, 4)], {"axis": 0, "keepDim": True})
case(R, "min all", "min", [distinct(3, 4)])
case(R, "min axis -1", "min", [distinct(2, 3, 4)], {"axis": -1})
case(R, "min axis 1 keepDim", "min", [distinct(2, 3, 4)], {"axis": 1, "keepDim": True})
case(R, "argmax all", "argmax", [distinct(3, 4)], grads=[])
case(R, "argmax axis 1", "argmax", [distinct(2, 3, 4)], {"axis": 1}, grads=[])
case(R, "argmax axis 0 keepDim", "argmax", [distinct(3, 4)], {"axis": 0, "keepDim": True}, grads=[])
case(R, "argmin all", "argmin", [distinct(3, 4)], grads=[])
case(R, "argmin axis -1", "argmin", [distinct(2, 3, 4)], {"axis": -1}, grads=[])
case(R, "sumToShape [2,3,4]->[3,1]", "sumToShape", [randn(2, 3, 4)], {"shape": [3, 1]})

# layout ------------------------------------------------------------------------------------------
case(L, "reshape with -1", "reshape", [randn(2, 3, 4)], {"shape": [4, -1]})
case(L, "permute [2,0,1]", "permute", [randn(2, 3, 4)], {"dims": [2, 0, 1]})
case(L, "permute negative dims", "permute", [randn(2, 3, 4)], {"dims": [-1, -3, -2]})
case(L, "transpose 0,2", "transpose", [randn(2, 3, 4)], {"dim0": 0, "dim1": 2})
case(L, "slice step 2", "slice", [randn(3, 7)], {"dim": 1, "start": 1, "end": 6, "step": 2})
case(L, "slice negative start, no end", "slice", [randn(4, 3)], {"dim": 0, "start": -3})
case(L, "slice middle dim step 3", "slice", [randn(2, 8, 3)], {"dim": 1, "start": 0, "end": 8, "step": 3})
case(L, "concat dim 1", "concat", [randn(2, 3), randn(2, 1), randn(2, 2)], {"dim": 1})
case(L, "concat dim 0 with empty", "concat", [randn(2, 3), randn(0, 3), randn(1, 3)], {"dim": 0})
case(L, "stack dim 1", "stack", [randn(2, 3), randn(2, 3)], {"dim": 1})
case(L, "stack dim -1", "stack", [randn(2, 3), randn(2, 3), randn(2, 3)], {"dim": -1})
case(L, "split sizes [1,2]", "split", [randn(2, 3)], {"sizes": [1, 2], "dim": 1})
case(L, "split size 2 (last smaller)", "split", [randn(5, 2)], {"sizes": 2, "dim": 0})
case(L, "chunk 3 of 5", "chunk", [randn(5, 2)], {"chunks": 3, "dim": 0})
case(L, "chunk 4 of 6 (gives 3)", "chunk", [randn(2, 6)], {"chunks": 4, "dim": 1})
case(L, "squeeze all", "squeeze", [randn(1, 3, 1, 2)])
case(L, "squeeze dim 2", "squeeze", [randn(1, 3, 1, 2)], {"dim": 2})
case(L, "unsqueeze -1", "unsqueeze", [randn(2, 3)], {"dim": -1})
case(L, "flatten 1..2", "flatten", [randn(2, 3, 4, 2)], {"start": 1, "end": 2})
case(L, "expand [3,1]->[2,3,4]", "expand", [randn(3, 1)], {"shape": [2, 3, 4]})
case(L, "expand with -1", "expand", [randn(1, 4)], {"shape": [3, -1]})

# indexing ----------------------------------------------------------------------------------------
case(I, "indexSelect dim 1 repeated", "indexSelect", [randn(2, 5, 3), torch.tensor([4, 0, 4, 2])], {"dim": 1})
case(I, "indexSelect dim 0 2-d indices", "indexSelect", [randn(5, 3), torch.tensor([[1, 3], [1, 0]])], {"dim": 0})
case(I, "embedding", "embedding", [ids((2, 3), 6), randn(6, 4)])
case(I, "gather dim 1", "gather", [randn(3, 4), ids((3, 5), 4)], {"dim": 1})
case(I, "gather dim 0", "gather", [randn(4, 3), ids((2, 3), 4)], {"dim": 0})

# matmul ------------------------------------------------------------------------------------------
case(M, "2-d", "matmul", [randn(3, 4), randn(4, 5)])
case(M, "batched", "matmul", [randn(2, 3, 4), randn(2, 4, 5)])
case(M, "broadcast batch [2,1,3,4]@[3,4,5]", "matmul", [randn(2, 1, 3, 4), randn(3, 4, 5)])
case(M, "2-d @ batched", "matmul", [randn(3, 4), randn(2, 4, 5)])
case(M, "transA", "matmul", [randn(4, 3), randn(4, 5)], {"transA": True})
case(M, "transB", "matmul", [randn(3, 4), randn(5, 4)], {"transB": True})
case(M, "transA transB batched", "matmul", [randn(2, 4, 3), randn(2, 5, 4)], {"transA": True, "transB": True})
case(M, "transB broadcast", "matmul", [randn(2, 3, 4), randn(5, 4)], {"transB": True})
case(M, "1-d @ 2-d", "matmul", [randn(4), randn(4, 5)])
case(M, "2-d @ 1-d", "matmul", [randn(3, 4), randn(4)])
case(M, "1-d @ 1-d", "matmul", [randn(4), randn(4)])
case(M, "1-d @ batched", "matmul", [randn(4), randn(2, 4, 3)])
case(M, "linear with bias", "linear", [randn(2, 3, 4), randn(5, 4), randn(5)])
case(M, "linear no bias", "linear", [randn(3, 4), randn(2, 4)])

# activations -------------------------------------------------------------------------------------
for op in ["gelu", "geluTanh", "quickGelu", "silu"]:
    case(A, op, op, [torch.cat([randn(20, scale=2), torch.tensor([-8.0, -4.0, 4.0, 8.0])]).reshape(4, 6)])

# softmax -----------------------------------------------------------------------------------------
case(S, "softmax last", "softmax", [randn(3, 5, scale=2)])
case(S, "softmax dim 0", "softmax", [randn(3, 5, scale=2)], {"dim": 0})
case(S, "softmax dim 1 of 3-d", "softmax", [randn(2, 3, 4, scale=2)], {"dim": 1})
case(S, "logSoftmax last", "logSoftmax", [randn(3, 5, scale=2)])
case(S, "logSoftmax dim 1 of 3-d", "logSoftmax", [randn(2, 3, 4, scale=2)], {"dim": 1})
case(S, "logsumexp last", "logsumexp", [randn(3, 5, scale=2)])
case(S, "logsumexp dim 0 keepDim", "logsumexp", [randn(3, 5, scale=2)], {"dim": 0, "keepDim": True})
case(S, "logsumexp dim 1 of 3-d", "logsumexp", [randn(2, 3, 4, scale=2)], {"dim": 1})
case(S, "logsumexp dim 0 of 3-d", "logsumexp", [randn(2, 3, 4, scale=2)], {"dim": 0})

# norms -------------------------------------------------------------------------------------------
case(N, "layerNorm affine", "layerNorm", [randn(2, 3, 6), randn(6), randn(6)])
case(N, "layerNorm plain", "layerNorm", [randn(4, 5) * 3 + 1])
case(N, "layerNorm eps 1e-2", "layerNorm", [randn(3, 4), randn(4), randn(4)], {"eps": 1e-2})
case(N, "rmsNorm weight", "rmsNorm", [randn(2, 3, 6), randn(6)])
case(N, "rmsNorm plain eps 1e-3", "rmsNorm", [randn(4, 5)], {"eps": 1e-3})

# conv / pool -------------------------------------------------------------------------------------
case(C, "conv2d 3x3 bias", "conv2d", [randn(2, 3, 5, 5), randn(4, 3, 3, 3), randn(4)])
case(C, "conv2d stride 2 padding 1", "conv2d", [randn(1, 2, 6, 5), randn(3, 2, 3, 3)], {"stride": 2, "padding": 1})
case(C, "conv2d dilation 2 padding [1,2]", "conv2d", [randn(1, 2, 7, 7), randn(2, 2, 3, 2)], {"dilation": 2, "padding": [1, 2]})
case(C, "conv2d groups 2", "conv2d", [randn(2, 4, 5, 5), randn(6, 2, 3, 3), randn(6)], {"groups": 2, "padding": 1})
case(C, "conv2d depthwise stride [2,1]", "conv2d", [randn(1, 3, 5, 4), randn(3, 1, 2, 2)], {"groups": 3, "stride": [2, 1]})
case(C, "conv2d patchify stride = kernel", "conv2d", [randn(2, 3, 4, 6), randn(5, 3, 2, 2), randn(5)], {"stride": 2})
case(C, "avgPool2d 2", "avgPool2d", [randn(2, 2, 4, 6)], {"kernel": 2})
case(C, "avgPool2d 3 stride 2 pad 1", "avgPool2d", [randn(1, 2, 5, 5)], {"kernel": 3, "stride": 2, "padding": 1})
case(C, "maxPool2d 2", "maxPool2d", [distinct(2, 2, 4, 6)], {"kernel": 2})
case(C, "maxPool2d 3 stride 2 pad 1", "maxPool2d", [distinct(1, 2, 5, 5)], {"kernel": 3, "stride": 2, "padding": 1})

# loss --------------------------------------------------------------------------------------------
case(X, "crossEntropy mean", "crossEntropy", [randn(4, 5, scale=2), ids((4,), 5)])
case(X, "crossEntropy sum", "crossEntropy", [randn(4, 5, scale=2), ids((4,), 5)], {"reduction": "sum"})
case(X, "crossEntropy none", "crossEntropy", [randn(4, 5, scale=2), ids((4,), 5)], {"reduction": "none"})
case(X, "crossEntropy ignoreIndex", "crossEntropy", [randn(5, 4, scale=2), torch.tensor([1, -100, 3, -100, 0])])
case(X, "crossEntropy ignoreIndex custom, none", "crossEntropy", [randn(4, 3), torch.tensor([2, 0, 0, 1])],
     {"ignoreIndex": 0, "reduction": "none"})
case(X, "crossEntropy labelSmoothing 0.1", "crossEntropy", [randn(4, 5, scale=2), ids((4,), 5)], {"labelSmoothing": 0.1})
case(X, "crossEntropy labelSmoothing + ignore, sum", "crossEntropy", [randn(4, 5, scale=2), torch.tensor([1, -100, 4, 2])],
     {"labelSmoothing": 0.2, "reduction": "sum"})
case(X, "crossEntropy [B,L,C]", "crossEntropy", [randn(2, 3, 4, scale=2), ids((2, 3), 4)])

# attention ---------------------------------------------------------------------------------------
def qkv(b, h, hkv, lq, lk, d):
    return [randn(b, h, lq, d), randn(b, hkv, lk, d), randn(b, hkv, lk, d)]


case(T, "plain", "attention", qkv(2, 2, 2, 3, 3, 4))
case(T, "causal lq = lk", "attention", qkv(1, 2, 2, 4, 4, 3), {"causal": True})
case(T, "causal lq < lk (decode offset)", "attention", qkv(2, 1, 1, 2, 5, 4), {"causal": True})
pad = torch.zeros(2, 1, 1, 5)
pad[0, 0, 0, 3:] = float("-inf")
pad[1, 0, 0, 1] = float("-inf")
case(T, "padding mask [B,1,1,Lk]", "attention", qkv(2, 2, 2, 3, 5, 4) + [pad], grads=[0, 1, 2])
case(T, "additive mask [B,H,Lq,Lk]", "attention", qkv(2, 2, 2, 3, 4, 4) + [randn(2, 2, 3, 4)], grads=[0, 1, 2])
case(T, "GQA 4 heads / 2 kv heads", "attention", qkv(1, 4, 2, 3, 4, 4))
case(T, "GQA causal + scale", "attention", qkv(2, 4, 1, 3, 3, 2), {"causal": True, "scale": 0.3})


# ---- run torch and write ---------------------------------------------------------------------------

def run(c, dtype):
    xs = []
    for i, t in enumerate(c["inputs"]):
        if t.is_floating_point():
            t = t.to(dtype).detach().requires_grad_(i in c["grads"])
        xs.append(t)
    out = OPS[c["op"]](*xs, c["params"])
    return xs, out


tensors = {}
index = []
for n, c in enumerate(cases):
    key = f"{n:03d}"
    _, out32 = run(c, torch.float32)
    entry = dict(name=c["name"], family=c["family"], op=c["op"], params=c["params"],
                 inputs=[], out=f"{key}.out", grads={})
    tensors[f"{key}.out"] = out32.detach()
    for i, t in enumerate(c["inputs"]):
        tensors[f"{key}.in{i}"] = t
        entry["inputs"].append(dict(key=f"{key}.in{i}", grad=i in c["grads"]))
    if c["grads"]:
        w = torch.randn(out32.shape, generator=gen, dtype=torch.float32)
        tensors[f"{key}.w"] = w
        entry["w"] = f"{key}.w"
        xs, out64 = run(c, torch.float64)
        (out64 * w.double()).sum().backward()
        for i in c["grads"]:
            tensors[f"{key}.grad{i}"] = xs[i].grad.detach()
            entry["grads"][str(i)] = f"{key}.grad{i}"
    index.append(entry)

DT = {torch.float32: ("F32", "<f4"), torch.float64: ("F64", "<f8"), torch.int64: ("I64", "<i8")}
header = {"__metadata__": {"index": json.dumps(index, separators=(",", ":")), "generator": "scripts/make_op_fixtures.py",
                           "torch": torch.__version__}}
blobs = []
offset = 0
for name in sorted(tensors):
    t = tensors[name].contiguous()
    code, np_dtype = DT[t.dtype]
    raw = t.numpy().astype(np_dtype).tobytes()
    header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
    blobs.append(raw)
    offset += len(raw)
hbytes = json.dumps(header, separators=(",", ":")).encode()
hbytes += b" " * (-len(hbytes) % 8)
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "wb") as f:
    f.write(struct.pack("<Q", len(hbytes)))
    f.write(hbytes)
    for raw in blobs:
        f.write(raw)
print(f"{len(cases)} cases, {len(tensors)} tensors, {os.path.getsize(OUT)} bytes -> {os.path.relpath(OUT)}")
