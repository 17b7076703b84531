import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { StateDictError } from "../errors.js";
import { Generator, Tensor, add, crossEntropy, mean, mul, randn, sum, tensor } from "../tensor/index.js";
import { Embedding, LayerNorm, Linear, MLP, Module, Conv2d } from "../nn/index.js";
import {
  AdamW, LRScheduler, SGD, clipGradNorm, cosineWithWarmup, paramGroupsNoDecay, type Optimizer, type OptimizerStateDict,
} from "./index.js";

interface Fixture {
  shapes: Record<string, number[]>;
  init: Record<string, number[]>;
  grads: Array<Record<string, number[]>>;
  cases: Array<{
    name: string;
    steps: number;
    groups: Array<{ params: string[]; weight_decay?: number; lr?: number }>;
    history: Array<{ params: Record<string, number[]>; lrs: number[] }>;
  }>;
  clip: Array<{ max_norm: number; total_norm: number; grads: Record<string, number[]> }>;
  schedule: { warmup: number; total: number; min_ratio: number; values: Record<string, number> };
}

const fx = JSON.parse(readFileSync(new URL("../../test/fixtures/optim.json", import.meta.url), "utf8")) as Fixture;

function freshParams(): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, shape] of Object.entries(fx.shapes)) out[k] = new Tensor(Float32Array.from(fx.init[k]), shape, { requiresGrad: true });
  return out;
}

function groupsFor(c: Fixture["cases"][number], params: Record<string, Tensor>) {
  return c.groups.map((g) => ({
    params: g.params.map((k) => params[k]),
    ...(g.weight_decay !== undefined ? { weightDecay: g.weight_decay } : {}),
    ...(g.lr !== undefined ? { lr: g.lr } : {}),
  }));
}

function makeOptimizer(name: string, groups: ReturnType<typeof groupsFor>): { opt: Optimizer; sched?: LRScheduler } {
  switch (name) {
    case "adamw": return { opt: new AdamW(groups, { lr: 1e-2, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1 }) };
    case "adamw_defaults": return { opt: new AdamW(groups) };
    case "adamw_cosine": {
      const opt = new AdamW(groups, { lr: 3e-2, weightDecay: 0.05 });
      return { opt, sched: new LRScheduler(opt, cosineWithWarmup({ warmupSteps: 2, totalSteps: 6, minLrRatio: 0.1 })) };
    }
    case "sgd_momentum": return { opt: new SGD(groups, { lr: 0.1, momentum: 0.9, weightDecay: 1e-2 }) };
    case "sgd_nesterov": return { opt: new SGD(groups, { lr: 0.05, momentum: 0.8, nesterov: true }) };
    case "sgd_plain": return { opt: new SGD(groups, { lr: 0.2, weightDecay: 0.5 }) };
    case "sgd_dampening": return { opt: new SGD(groups, { lr: 0.1, momentum: 0.9, dampening: 0.3 }) };
    default: throw new Error(`no optimizer for fixture case ${name}`);
  }
}

function setGrads(params: Record<string, Tensor>, step: number): void {
  for (const [k, p] of Object.entries(params)) p.grad = new Tensor(Float32Array.from(fx.grads[step][k]), p.shape);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  if (!(worst <= tol)) assert.fail(`${what}: max abs diff ${worst} > ${tol}`);
}

for (const c of fx.cases) {
  test(`${c.name}: ${c.steps} steps equal torch.optim within 1e-6`, () => {
    const params = freshParams();
    const { opt, sched } = makeOptimizer(c.name, groupsFor(c, params));
    for (let s = 0; s < c.steps; s++) {
      setGrads(params, s);
      const versions = Object.values(params).map((p) => p.version);
      opt.step();
      sched?.step();
      Object.values(params).forEach((p, i) => assert.equal(p.version, versions[i] + 1, "step() must markChanged()"));
      for (const [k, p] of Object.entries(params)) assertClose(p.toFlatArray(), c.history[s].params[k], 1e-6, `${c.name} step ${s + 1} ${k}`);
      assertClose(opt.paramGroups.map((g) => g.lr), c.history[s].lrs, 1e-12, `${c.name} step ${s + 1} lrs`);
    }
  });
}

test("clipGradNorm equals torch.nn.utils.clip_grad_norm_ (and replaces, never writes into, the grads)", () => {
  for (const c of fx.clip) {
    const params = freshParams();
    setGrads(params, 0);
    const before = Object.values(params).map((p) => p.grad!);
    const beforeValues = before.map((g) => g.toFlatArray());
    const total = clipGradNorm(Object.values(params), c.max_norm);
    assert.ok(Math.abs(total - c.total_norm) < 1e-5, `total ${total} vs ${c.total_norm}`);
    for (const [k, p] of Object.entries(params)) assertClose(p.grad!.toFlatArray(), c.grads[k], 1e-6, `clip ${c.max_norm} ${k}`);
    before.forEach((g, i) => assert.deepEqual(g.toFlatArray(), beforeValues[i]));
  }
  // A gradient shared by two parameters is scaled once for each, not twice.
  const a = new Tensor(Float32Array.of(3), [1], { requiresGrad: true });
  const b = new Tensor(Float32Array.of(0), [1], { requiresGrad: true });
  const shared = new Tensor(Float32Array.of(4), [1]);
  a.grad = shared;
  b.grad = shared;
  const n = clipGradNorm([a, b], 1);
  assert.ok(Math.abs(n - Math.sqrt(32)) < 1e-5);
  assert.ok(Math.abs(a.grad.item() - 4 / Math.sqrt(32)) < 1e-6);
  assert.ok(Math.abs(b.grad.item() - 4 / Math.sqrt(32)) < 1e-6);
  assert.equal(clipGradNorm([new Tensor(Float32Array.of(1), [1])], 1), 0);
});

test("cosineWithWarmup values at known steps (and torch's LambdaLR on the same lambda)", () => {
  const { warmup, total, min_ratio, values } = fx.schedule;
  const f = cosineWithWarmup({ warmupSteps: warmup, totalSteps: total, minLrRatio: min_ratio });
  for (const [step, v] of Object.entries(values)) assert.ok(Math.abs(f(Number(step)) - v) < 1e-12, `step ${step}`);
  assert.equal(f(0), 0);
  assert.equal(f(5), 0.5);
  assert.equal(f(10), 1);
  assert.ok(Math.abs(f(55) - 0.55) < 1e-12);
  assert.ok(Math.abs(f(100) - 0.1) < 1e-12);
  assert.ok(Math.abs(f(1000) - 0.1) < 1e-12);
  assert.throws(() => cosineWithWarmup({ warmupSteps: 10, totalSteps: 5 }));
});

class Net extends Module {
  embed = new Embedding(10, 4);
  norm = new LayerNorm(4);
  mlp = new MLP(4, 8);
  patch = new Conv2d(3, 4, 2, { stride: 2 });
  class_embedding = randn([4]).setRequiresGrad(true);
  position_embeddings = randn([1, 5, 4]).setRequiresGrad(true);
  frozen = new Linear(4, 4);
  constructor() {
    super();
    this.frozen.requiresGrad_(false);
  }
}

test("paramGroupsNoDecay: no decay on biases, norms, embeddings and 0/1-d tensors; frozen left out", () => {
  const net = new Net();
  const groups = paramGroupsNoDecay(net, { weightDecay: 0.1 });
  const names = new Map([...net.namedParameters()].map(([k, p]) => [p, k]));
  const [decay, none] = groups.map((g) => [...g.params].map((p) => names.get(p)));
  assert.deepEqual(decay, ["mlp.fc1.weight", "mlp.fc2.weight", "patch.weight"]);
  assert.deepEqual(none, [
    "embed.weight", "norm.weight", "norm.bias", "mlp.fc1.bias", "mlp.fc2.bias", "patch.bias", "class_embedding", "position_embeddings",
  ]);
  const opt = new AdamW(groups, { lr: 0.1 });
  assert.deepEqual(opt.paramGroups.map((g) => [g.name, g.weightDecay]), [["decay", 0.1], ["no_decay", 0]]);
  // With zero gradients, only decay moves parameters: the no-decay group stays put.
  for (const g of opt.paramGroups) for (const p of g.params) p.grad = new Tensor(new Float32Array(p.size), p.shape);
  const w = net.mlp.fc1.weight.toFlatArray();
  const bias = net.mlp.fc1.bias!.toFlatArray();
  const norm = net.norm.weight!.toFlatArray();
  opt.step();
  assert.deepEqual(net.mlp.fc1.bias!.toFlatArray(), bias);
  assert.deepEqual(net.norm.weight!.toFlatArray(), norm);
  net.mlp.fc1.weight.toFlatArray().forEach((v, i) => assert.ok(Math.abs(v - Math.fround(w[i] * Math.fround(1 - 0.01))) < 1e-7));
  // A custom predicate.
  const custom = paramGroupsNoDecay(net, { weightDecay: 0.1, noDecay: (name) => name.startsWith("mlp."), includeFrozen: true });
  assert.equal([...custom[1].params].length, 4);
  assert.equal([...custom[0].params].length, net.parameters().length - 4);
});

/** A little regression problem, so resumed and uninterrupted runs can be compared. */
function trainSteps(model: MLP, opt: Optimizer, sched: LRScheduler | null, from: number, to: number): void {
  for (let s = from; s < to; s++) {
    const g = new Generator(1000 + s);
    const x = randn([8, 4], { generator: g });
    const y = randn([8, 4], { generator: g });
    const d = add(model.forward(x), mul(y, -1));
    const loss = mean(mul(d, d));
    opt.zeroGrad();
    loss.backward();
    clipGradNorm(model.parameters(), 0.5);
    opt.step();
    sched?.step();
  }
}

function roundTrip(sd: OptimizerStateDict): OptimizerStateDict {
  // What a checkpoint does: meta through JSON, tensors through their bytes.
  const meta = JSON.parse(JSON.stringify(sd.meta)) as OptimizerStateDict["meta"];
  const tensors = new Map([...sd.tensors].map(([k, t]) => [k, new Tensor(new Float32Array(new Uint8Array((t.data as Float32Array).buffer.slice(0)).buffer), t.shape)]));
  return { meta, tensors };
}

for (const kind of ["adamw", "sgd"] as const) {
  test(`${kind}: save / restore mid-run then continue == uninterrupted run (bit for bit)`, () => {
    const make = (model: MLP) => {
      const groups = paramGroupsNoDecay(model, { weightDecay: 0.05 });
      const opt: Optimizer = kind === "adamw" ? new AdamW(groups, { lr: 1e-2 }) : new SGD(groups, { lr: 0.05, momentum: 0.9, nesterov: true });
      return { opt, sched: new LRScheduler(opt, cosineWithWarmup({ warmupSteps: 3, totalSteps: 12, minLrRatio: 0.1 })) };
    };
    const ref = new MLP(4, 16, { generator: new Generator(5) });
    const r = make(ref);
    trainSteps(ref, r.opt, r.sched, 0, 12);

    const a = new MLP(4, 16, { generator: new Generator(5) });
    const ra = make(a);
    trainSteps(a, ra.opt, ra.sched, 0, 5);
    const modelState = new Map([...a.stateDict()].map(([k, t]) => [k, t.clone()]));
    const optState = roundTrip(ra.opt.stateDict());
    const schedState = JSON.parse(JSON.stringify(ra.sched.stateDict()));

    const b = new MLP(4, 16, { generator: new Generator(99) });
    b.loadStateDict(modelState);
    const rb = make(b);
    rb.opt.loadStateDict(optState);
    rb.sched.loadStateDict(schedState);
    assert.deepEqual(rb.opt.paramGroups.map((g) => g.lr), ra.opt.paramGroups.map((g) => g.lr));
    trainSteps(b, rb.opt, rb.sched, 5, 12);
    for (const [k, t] of ref.stateDict()) assert.deepEqual(b.stateDict().get(k)!.toFlatArray(), t.toFlatArray(), k);
    if (kind === "adamw") {
      const s = rb.opt.stateOf(b.fc1.weight)!;
      assert.equal(s.step, 12);
    }
  });
}

test("optimizer state dict: JSON meta, tensors keyed state.<i>.<buffer>; bad dicts are named", () => {
  const m = new MLP(2, 3);
  const opt = new AdamW(m.parameters(), { lr: 0.1, betas: [0.8, 0.9] });
  for (const p of m.parameters()) p.grad = new Tensor(new Float32Array(p.size).fill(1), p.shape);
  opt.step();
  const sd = opt.stateDict();
  assert.deepEqual(sd.meta.groups, [{ params: [0, 1, 2, 3], lr: 0.1, betas: [0.8, 0.9], eps: 1e-8, weightDecay: 1e-2 }]);
  assert.deepEqual(sd.meta.state.map((s) => [s.param, s.step, s.buffers]), [0, 1, 2, 3].map((i) => [i, 1, ["exp_avg", "exp_avg_sq"]]));
  assert.deepEqual([...sd.tensors.keys()].slice(0, 2), ["state.0.exp_avg", "state.0.exp_avg_sq"]);
  assert.deepEqual(sd.tensors.get("state.0.exp_avg")!.shape, [3, 2]);
  const bad = roundTrip(sd);
  bad.tensors.delete("state.1.exp_avg");
  bad.tensors.set("state.2.exp_avg", new Tensor(new Float32Array(2), [2]));
  bad.tensors.set("state.9.foo", new Tensor(new Float32Array(1), [1]));
  assert.throws(() => opt.loadStateDict(bad), (e: unknown) => {
    assert.ok(e instanceof StateDictError);
    assert.deepEqual(e.missing, ["state.1.exp_avg"]);
    assert.deepEqual(e.unexpected, ["state.9.foo"]);
    assert.equal(e.mismatched.length, 1);
    return true;
  });
  assert.throws(() => new SGD(m.parameters(), { lr: 1 }).loadStateDict(sd), /from AdamW/);
  assert.throws(() => new AdamW([{ params: m.parameters() }, { params: [] }]).loadStateDict(sd), /groups/);
});

test("step skips parameters without gradients; zeroGrad clears", () => {
  const a = new Tensor(Float32Array.of(1, 2), [2], { requiresGrad: true });
  const b = new Tensor(Float32Array.of(3), [1], { requiresGrad: true });
  const opt = new SGD([a, b], { lr: 1 });
  const loss = sum(mul(a, tensor([1, 1])));
  loss.backward();
  opt.step();
  assert.deepEqual(a.toFlatArray(), [0, 1]);
  assert.deepEqual(b.toFlatArray(), [3]);
  assert.equal(opt.stateOf(b), undefined);
  opt.zeroGrad();
  assert.equal(a.grad, null);
  assert.throws(() => new SGD([a, a], { lr: 1 }), /more than one group/);
  void crossEntropy;
});
