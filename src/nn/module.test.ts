import { test } from "node:test";
import assert from "node:assert/strict";
import { StateDictError } from "../errors.js";
import { Generator, Tensor, arange, layerNorm, noGrad, randn, tensor, zeros } from "../tensor/index.js";
import {
  Activation, Conv2d, Dropout, Embedding, LayerNorm, Linear, MLP, Module, ModuleList, MultiheadAttention, RMSNorm, Sequential,
} from "./index.js";

class EncoderLayer extends Module {
  self_attn: MultiheadAttention;
  layer_norm1: LayerNorm;
  mlp: MLP;
  layer_norm2: LayerNorm;
  constructor(d: number, g: Generator) {
    super();
    this.self_attn = new MultiheadAttention(d, 2, { generator: g });
    this.layer_norm1 = new LayerNorm(d);
    this.mlp = new MLP(d, 2 * d, { act: "quick_gelu", generator: g });
    this.layer_norm2 = new LayerNorm(d);
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

class Encoder extends Module {
  layers: ModuleList<EncoderLayer>;
  constructor(d: number, n: number, g: Generator) {
    super();
    this.layers = new ModuleList(Array.from({ length: n }, () => new EncoderLayer(d, g)));
  }
}

class Embeddings extends Module {
  class_embedding: Tensor;
  patch_embedding: Conv2d;
  position_embedding: Embedding;
  position_ids: Tensor;
  _scratch = zeros([3]);
  constructor(d: number, g: Generator) {
    super();
    this.class_embedding = randn([d], { generator: g }).setRequiresGrad(true);
    this.patch_embedding = new Conv2d(3, d, 4, { stride: 4, bias: false, generator: g });
    this.position_embedding = new Embedding(5, d, { generator: g });
    this.position_ids = this.registerBuffer("position_ids", arange(0, 5).reshape(1, 5));
  }
}

class Tower extends Module {
  embeddings: Embeddings;
  pre_layrnorm: LayerNorm;
  encoder: Encoder;
  post_layernorm: LayerNorm;
  constructor(d = 8, n = 2, seed = 0) {
    super();
    const g = new Generator(seed);
    this.embeddings = new Embeddings(d, g);
    this.pre_layrnorm = new LayerNorm(d);
    this.encoder = new Encoder(d, n, g);
    this.post_layernorm = new LayerNorm(d);
  }
}

const LAYER_KEYS = [
  "self_attn.k_proj.weight", "self_attn.k_proj.bias", "self_attn.v_proj.weight", "self_attn.v_proj.bias",
  "self_attn.q_proj.weight", "self_attn.q_proj.bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
  "layer_norm1.weight", "layer_norm1.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias",
  "layer_norm2.weight", "layer_norm2.bias",
];

test("state-dict keys are the attribute paths, in definition order (HF CLIP layout)", () => {
  const keys = [...new Tower().stateDict().keys()];
  assert.deepEqual(keys, [
    "embeddings.class_embedding",
    "embeddings.patch_embedding.weight",
    "embeddings.position_embedding.weight",
    "embeddings.position_ids",
    "pre_layrnorm.weight", "pre_layrnorm.bias",
    ...LAYER_KEYS.map((k) => `encoder.layers.0.${k}`),
    ...LAYER_KEYS.map((k) => `encoder.layers.1.${k}`),
    "post_layernorm.weight", "post_layernorm.bias",
  ]);
  assert.ok(keys.includes("encoder.layers.0.self_attn.q_proj.weight"));
});

test("buffers are in the state dict but not in parameters(); _fields are skipped", () => {
  const t = new Tower();
  const params = [...t.namedParameters()].map(([k]) => k);
  assert.ok(!params.includes("embeddings.position_ids"));
  assert.ok(!params.some((k) => k.includes("scratch")));
  assert.deepEqual([...t.namedBuffers()].map(([k]) => k), ["embeddings.position_ids"]);
  assert.equal(t.stateDict().get("embeddings.position_ids")!.dtype, "int32");
});

test("numParameters counts every scalar; trainableOnly follows freezing", () => {
  const d = 8;
  const t = new Tower(d, 2);
  const layer = 4 * (d * d + d) + 2 * 2 * d + (d * 2 * d + 2 * d) + (2 * d * d + d);
  const expected = d + 3 * d * 16 + 5 * d + 2 * d + 2 * layer + 2 * d;
  assert.equal(t.numParameters(), expected);
  t.embeddings.requiresGrad_(false);
  assert.equal(t.numParameters({ trainableOnly: true }), expected - (d + 3 * d * 16 + 5 * d));
  assert.equal(t.numParameters(), expected);
  assert.equal(t.embeddings.patch_embedding.weight.requiresGrad, false);
  assert.equal(t.encoder.layers[0].mlp.fc1.weight.requiresGrad, true);
});

test("a frozen subtree gets no gradients", () => {
  const net = new Sequential(new Linear(3, 4), new Activation("relu"), new Linear(4, 2));
  net[0].requiresGrad_(false);
  const y = net.forward(randn([5, 3]));
  y.backward(new Tensor(new Float32Array(10).fill(1), [5, 2]));
  assert.equal((net[0] as Linear).weight.grad, null);
  assert.ok((net[2] as Linear).weight.grad);
  net.zeroGrad();
  assert.equal((net[2] as Linear).weight.grad, null);
});

test("stateDict -> loadStateDict round trip copies into existing storage and bumps versions", () => {
  const a = new Tower(8, 2, 1);
  const b = new Tower(8, 2, 2);
  const w = b.encoder.layers[1].self_attn.q_proj.weight;
  const storage = w.data;
  const v0 = w.version;
  const snapshot = new Map([...a.stateDict()].map(([k, t]) => [k, t.clone()]));
  const result = b.loadStateDict(snapshot);
  assert.deepEqual(result, { missing: [], unexpected: [] });
  for (const [k, t] of b.stateDict()) assert.deepEqual(t.toFlatArray(), a.stateDict().get(k)!.toFlatArray(), k);
  assert.equal(w.data, storage);
  assert.ok(w.version > v0);
  // A plain record works too.
  b.loadStateDict(Object.fromEntries(snapshot));
});

test("loadStateDict names every missing, unexpected and mis-shaped key at once, and writes nothing", () => {
  const m = new Tower(8, 2);
  const sd = new Map([...m.stateDict()].map(([k, t]) => [k, t.clone()]));
  sd.delete("encoder.layers.0.self_attn.q_proj.weight");
  sd.delete("post_layernorm.bias");
  sd.set("encoder.layers.2.mlp.fc1.weight", zeros([16, 8]));
  sd.set("logit_scale", zeros([]));
  sd.set("encoder.layers.1.mlp.fc1.weight", zeros([8, 16]));
  sd.set("embeddings.class_embedding", new Tensor(new Int32Array(8), [8]));
  sd.set("pre_layrnorm.weight", zeros([8]));
  const before = m.pre_layrnorm.weight!.toFlatArray();
  let err: unknown;
  try {
    m.loadStateDict(sd);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof StateDictError);
  assert.deepEqual(err.missing, ["encoder.layers.0.self_attn.q_proj.weight", "post_layernorm.bias"]);
  assert.deepEqual(err.unexpected, ["encoder.layers.2.mlp.fc1.weight", "logit_scale"]);
  assert.deepEqual(err.mismatched, [
    "embeddings.class_embedding: expected float32 [8], got int32 [8]",
    "encoder.layers.1.mlp.fc1.weight: expected float32 [16, 8], got float32 [8, 16]",
  ]);
  for (const key of [...err.missing, ...err.unexpected, "encoder.layers.1.mlp.fc1.weight", "[16, 8]"]) {
    assert.ok(err.message.includes(key), key);
  }
  assert.deepEqual(m.pre_layrnorm.weight!.toFlatArray(), before, "nothing written on error");
});

test("loadStateDict strict=false returns missing/unexpected; shape errors still throw", () => {
  const m = new Sequential(new Linear(2, 3), new Linear(3, 1));
  const sd = new Map([["0.weight", zeros([3, 2])], ["extra", zeros([1])]]);
  const r = m.loadStateDict(sd, { strict: false });
  assert.deepEqual(r, { missing: ["0.bias", "1.weight", "1.bias"], unexpected: ["extra"] });
  assert.deepEqual((m[0] as Linear).weight.toFlatArray(), [0, 0, 0, 0, 0, 0]);
  assert.throws(() => m.loadStateDict(new Map([["0.weight", zeros([2, 3])]]), { strict: false }), StateDictError);
});

test("int buffers accept int64 values", () => {
  const t = new Tower();
  const ids = new Tensor(BigInt64Array.from([4n, 3n, 2n, 1n, 0n]), [1, 5]);
  t.loadStateDict(new Map([["embeddings.position_ids", ids]]), { strict: false });
  assert.deepEqual(t.embeddings.position_ids.toFlatArray(), [4, 3, 2, 1, 0]);
});

test("train()/eval() reach Dropout in nested modules", () => {
  class Net extends Module {
    blocks = new ModuleList([new Sequential(new Linear(4, 4), new Dropout(0.5))]);
    forward(x: Tensor): Tensor {
      return this.blocks[0].forward(x);
    }
  }
  const net = new Net();
  const drop = net.blocks[0][1] as Dropout;
  assert.equal(drop.training, true);
  const x = randn([64, 4]);
  const zerosIn = (y: Tensor) => y.toFlatArray().filter((v) => v === 0).length;
  assert.ok(zerosIn(net.forward(x)) > 20);
  net.eval();
  assert.equal(drop.training, false);
  assert.equal(zerosIn(net.forward(x)), 0);
  const a = net.forward(x).toFlatArray();
  assert.deepEqual(net.forward(x).toFlatArray(), a);
  net.train();
  assert.equal(drop.training, true);
});

test("ModuleList: indexable, iterable, at(-1), keys 0, 1; Sequential keys", () => {
  const list = new ModuleList([new Linear(2, 2), new Linear(2, 3)]);
  assert.equal(list.length, 2);
  assert.equal(list[1], list.at(-1));
  assert.equal([...list].length, 2);
  assert.deepEqual([...list.stateDict().keys()], ["0.weight", "0.bias", "1.weight", "1.bias"]);
  assert.throws(() => list.at(2));
  const seq = new Sequential(new Linear(2, 3), new Activation("gelu"), new Linear(3, 1, { bias: false }));
  assert.deepEqual([...seq.stateDict().keys()], ["0.weight", "0.bias", "2.weight"]);
  assert.deepEqual(seq.forward(zeros([4, 2])).shape, [4, 1]);
});

test("tied weights: once in parameters(), under both keys in the state dict", () => {
  class Tied extends Module {
    embed = new Embedding(10, 4);
    head = new Linear(4, 10, { bias: false });
    constructor() {
      super();
      this.head.weight = this.embed.weight;
    }
  }
  const t = new Tied();
  assert.equal(t.parameters().length, 1);
  assert.deepEqual([...t.stateDict().keys()], ["embed.weight", "head.weight"]);
});

test("namedModules, apply (children first), plain arrays of modules", () => {
  class Net extends Module {
    blocks = [new Linear(2, 2), new Linear(2, 2)];
    norm = new RMSNorm(2);
  }
  const n = new Net();
  assert.deepEqual([...n.namedModules()].map(([k]) => k), ["", "blocks.0", "blocks.1", "norm"]);
  assert.deepEqual([...n.stateDict().keys()], ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias", "norm.weight"]);
  const order: string[] = [];
  n.apply((_, name) => order.push(name));
  assert.deepEqual(order, ["norm", "blocks.1", "blocks.0", ""]);
});

test("a non-float tensor field must be a buffer; cycles are reported", () => {
  class Bad extends Module {
    ids = arange(0, 3);
  }
  assert.throws(() => new Bad().stateDict(), /registerBuffer\("ids"/);
  class Child extends Module {
    parent: Module | null = null;
  }
  class Parent extends Module {
    child = new Child();
    constructor() {
      super();
      this.child.parent = this;
    }
  }
  assert.throws(() => new Parent().stateDict(), /cycle/);
});

test("Linear init is U(-1/sqrt(in), 1/sqrt(in)) and seeded", () => {
  const a = new Linear(16, 32, { generator: new Generator(7) });
  const b = new Linear(16, 32, { generator: new Generator(7) });
  assert.deepEqual(a.weight.toFlatArray(), b.weight.toFlatArray());
  const w = a.weight.toFlatArray();
  assert.ok(w.every((v) => Math.abs(v) <= 0.25));
  assert.ok(Math.max(...w.map(Math.abs)) > 0.2);
  assert.deepEqual(a.forward(zeros([3, 16])).shape, [3, 32]);
});

test("LayerNorm matches the op; elementwiseAffine=false has no parameters", () => {
  const x = randn([2, 3, 8]);
  const ln = new LayerNorm(8, { eps: 1e-6 });
  assert.deepEqual(ln.forward(x).toFlatArray(), layerNorm(x, null, null, 1e-6).toFlatArray());
  assert.equal(new LayerNorm(8, { elementwiseAffine: false }).parameters().length, 0);
});

test("Embedding lookup and paddingIdx", () => {
  const e = new Embedding(5, 3, { paddingIdx: 0 });
  const y = e.forward(tensor([[0, 2]], { dtype: "int32" }));
  assert.deepEqual(y.shape, [1, 2, 3]);
  assert.deepEqual(y.toFlatArray().slice(0, 3), [0, 0, 0]);
});

test("Conv2d: stride, padding, groups shapes", () => {
  const c = new Conv2d(4, 8, 3, { stride: 2, padding: 1, groups: 2 });
  assert.deepEqual(c.weight.shape, [8, 2, 3, 3]);
  assert.deepEqual(c.forward(randn([1, 4, 8, 8])).shape, [1, 8, 4, 4]);
  assert.throws(() => new Conv2d(3, 8, 3, { groups: 2 }), /groups/);
});

test("MultiheadAttention: fused (noGrad) equals recorded path; causal and mask", () => {
  const g = new Generator(3);
  const attn = new MultiheadAttention(8, 2, { generator: g });
  const x = randn([2, 5, 8], { generator: g });
  const fused = noGrad(() => attn.forward(x, { causal: true }));
  const recorded = attn.forward(x, { causal: true });
  assert.ok(recorded.requiresGrad);
  const a = fused.toFlatArray();
  recorded.toFlatArray().forEach((v, i) => assert.ok(Math.abs(v - a[i]) < 1e-5));
  // Causal: the first token's output does not depend on later tokens.
  const x2 = x.clone();
  (x2.data as Float32Array)[4 * 8] += 10;
  const y2 = noGrad(() => attn.forward(x2, { causal: true })).toFlatArray();
  for (let j = 0; j < 8; j++) assert.ok(Math.abs(y2[j] - a[j]) < 1e-6);
  // A padding mask that hides the last key: output equals attention over the first 4 tokens.
  const mask = new Tensor(Float32Array.from([0, 0, 0, 0, -Infinity]), [1, 1, 1, 5]);
  const masked = noGrad(() => attn.forward(x, { mask })).toFlatArray();
  const x4 = new Tensor((x.data as Float32Array).slice(0, 40), [1, 5, 8]);
  const short = noGrad(() => attn.forward(new Tensor((x4.data as Float32Array).slice(0, 32), [1, 4, 8]))).toFlatArray();
  for (let i = 0; i < 32; i++) assert.ok(Math.abs(masked[i] - short[i]) < 1e-5);
  assert.throws(() => new MultiheadAttention(10, 3), /divisible/);
});

test("MLP activations by HF name", () => {
  for (const act of ["gelu", "gelu_new", "gelu_pytorch_tanh", "quick_gelu", "silu", "relu"] as const) {
    const m = new MLP(4, 8, { act });
    assert.deepEqual(m.forward(randn([2, 4])).shape, [2, 4]);
  }
  assert.throws(() => new MLP(4, 8, { act: "nope" as never }), /unknown activation "nope"/);
});

test("a non-persistent buffer is walked but not saved", () => {
  class Rope extends Module {
    proj = new Linear(2, 2);
    inv_freq = this.registerBuffer("inv_freq", zeros([4]), { persistent: false });
  }
  const r = new Rope();
  assert.deepEqual([...r.namedBuffers()].map(([k]) => k), ["inv_freq"]);
  assert.deepEqual([...r.stateDict().keys()], ["proj.weight", "proj.bias"]);
  assert.equal(r.parameters().length, 2);
});
