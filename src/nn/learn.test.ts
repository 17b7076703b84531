/**
 * End-to-end learning: nn + optim + autograd together. Each test states the loss it must
 * reach; both run in a few seconds on the js backend.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Generator, Tensor, add, argmax, concat, crossEntropy, expand, noGrad, permute, slice, truncNormal,
} from "../tensor/index.js";
import { AdamW, LRScheduler, clipGradNorm, cosineWithWarmup, paramGroupsNoDecay } from "../optim/index.js";
import { Activation, Conv2d, LayerNorm, Linear, MLP, Module, MultiheadAttention, Sequential } from "./index.js";

function accuracy(logits: Tensor, labels: Tensor): number {
  const pred = argmax(logits, -1).toFlatArray();
  const y = labels.toFlatArray();
  return pred.filter((p, i) => p === y[i]).length / y.length;
}

/** Two interleaved spirals, `n` points per class, as [2n, 2] points and int32 labels. */
function spirals(n: number, g: Generator): { x: Tensor; y: Tensor } {
  const x = new Float32Array(4 * n);
  const y = new Int32Array(2 * n);
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < n; i++) {
      const r = 0.1 + (0.9 * i) / n;
      const t = 3 * Math.PI * r + c * Math.PI;
      const k = c * n + i;
      x[2 * k] = r * Math.cos(t) + 0.02 * g.normal();
      x[2 * k + 1] = r * Math.sin(t) + 0.02 * g.normal();
      y[k] = c;
    }
  }
  return { x: new Tensor(x, [2 * n, 2]), y: new Tensor(y, [2 * n]) };
}

test("a small MLP learns two spirals: loss < 0.05, accuracy 100%", () => {
  const g = new Generator(1);
  const { x, y } = spirals(100, g);
  const net = new Sequential(
    new Linear(2, 64, { generator: g }), new Activation("tanh"),
    new Linear(64, 64, { generator: g }), new Activation("relu"),
    new Linear(64, 2, { generator: g }),
  );
  const steps = 400;
  const opt = new AdamW(paramGroupsNoDecay(net, { weightDecay: 1e-4 }), { lr: 2e-2 });
  const sched = new LRScheduler(opt, cosineWithWarmup({ warmupSteps: 20, totalSteps: steps, minLrRatio: 0.05 }));
  let loss = Infinity;
  for (let s = 0; s < steps; s++) {
    const l = crossEntropy(net.forward(x), y);
    opt.zeroGrad();
    l.backward();
    opt.step();
    sched.step();
    loss = l.item();
  }
  const final = noGrad(() => crossEntropy(net.forward(x), y).item());
  const acc = noGrad(() => accuracy(net.forward(x), y));
  console.log(`spirals MLP: final loss ${final.toFixed(4)} (last step ${loss.toFixed(4)}), accuracy ${acc}`);
  assert.ok(final < 0.05, `final loss ${final}`);
  assert.equal(acc, 1);
});

/** 16x16 one-channel images: noise, plus a bright 4x4 square somewhere in quadrant `label`. */
function quadrantImages(n: number, g: Generator): { x: Tensor; y: Tensor } {
  const x = new Float32Array(n * 256);
  const y = new Int32Array(n);
  for (let b = 0; b < n; b++) {
    const q = g.int(4);
    y[b] = q;
    for (let i = 0; i < 256; i++) x[b * 256 + i] = 0.3 * g.normal();
    const top = (q >> 1) * 8 + g.int(5);
    const left = (q & 1) * 8 + g.int(5);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) x[b * 256 + (top + i) * 16 + left + j] += 2;
  }
  return { x: new Tensor(x, [n, 1, 16, 16]), y: new Tensor(y, [n]) };
}

class Block extends Module {
  layer_norm1: LayerNorm;
  self_attn: MultiheadAttention;
  layer_norm2: LayerNorm;
  mlp: MLP;
  constructor(d: number, heads: number, g: Generator) {
    super();
    this.layer_norm1 = new LayerNorm(d);
    this.self_attn = new MultiheadAttention(d, heads, { generator: g });
    this.layer_norm2 = new LayerNorm(d);
    this.mlp = new MLP(d, 2 * d, { act: "gelu", generator: g });
  }
  forward(x: Tensor): Tensor {
    const h = add(x, this.self_attn.forward(this.layer_norm1.forward(x))); // pre-LN
    return add(h, this.mlp.forward(this.layer_norm2.forward(h)));
  }
}

class TinyViT extends Module {
  patch_embedding: Conv2d;
  class_embedding: Tensor;
  position_embedding: Tensor;
  block: Block;
  post_layernorm: LayerNorm;
  head: Linear;
  constructor(d: number, g: Generator) {
    super();
    this.patch_embedding = new Conv2d(1, d, 4, { stride: 4, generator: g });
    this.class_embedding = truncNormal([d], { std: 0.02, generator: g }).setRequiresGrad(true);
    this.position_embedding = truncNormal([17, d], { std: 0.02, generator: g }).setRequiresGrad(true);
    this.block = new Block(d, 2, g);
    this.post_layernorm = new LayerNorm(d);
    this.head = new Linear(d, 4, { generator: g });
  }
  forward(pixels: Tensor): Tensor {
    const b = pixels.shape[0];
    const d = this.class_embedding.shape[0];
    const patches = this.patch_embedding.forward(pixels); // [B, D, 4, 4]
    const tokens = permute(patches.reshape(b, d, 16), [0, 2, 1]); // [B, 16, D]
    const cls = expand(this.class_embedding.reshape(1, 1, d), [b, 1, d]); // [B, 1, D]
    let x = add(concat([cls, tokens], 1), this.position_embedding); // [B, 17, D]
    x = this.block.forward(x);
    const clsOut = slice(x, 1, 0, 1).reshape(b, d); // [B, D]
    return this.head.forward(this.post_layernorm.forward(clsOut)); // [B, 4]
  }
}

test("a tiny ViT block learns which quadrant holds the bright square: held-out loss < 0.1, accuracy > 97%", () => {
  const g = new Generator(7);
  const model = new TinyViT(32, g);
  const steps = 200;
  const batch = 32;
  const opt = new AdamW(paramGroupsNoDecay(model, { weightDecay: 0.05 }), { lr: 1e-2 });
  const sched = new LRScheduler(opt, cosineWithWarmup({ warmupSteps: 20, totalSteps: steps, minLrRatio: 0.1 }));
  const started = Date.now();
  const recent: number[] = [];
  for (let s = 0; s < steps; s++) {
    // A fresh batch every step: with a fixed small set the run overfits and depends on the seed.
    const { x, y } = quadrantImages(batch, g);
    const loss = crossEntropy(model.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    clipGradNorm(model.parameters(), 1.0);
    opt.step();
    sched.step();
    recent.push(loss.item());
    if (recent.length > 20) recent.shift();
  }
  model.eval();
  const heldOut = quadrantImages(512, new Generator(12345));
  const logits = noGrad(() => model.forward(heldOut.x));
  const loss = crossEntropy(logits, heldOut.y).item();
  const acc = accuracy(logits, heldOut.y);
  const trainLoss = recent.reduce((a, b) => a + b, 0) / recent.length;
  console.log(`tiny ViT: last-20-step train loss ${trainLoss.toFixed(4)}, held-out loss ${loss.toFixed(4)}, accuracy ${acc} (${Date.now() - started} ms)`);
  assert.ok(loss < 0.1, `held-out loss ${loss}`);
  assert.ok(acc > 0.97, `held-out accuracy ${acc}`);
});
