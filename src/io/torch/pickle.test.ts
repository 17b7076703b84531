import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FileFormatError, UnsafePickleError } from "../../errors.js";
import { PickleGlobal, torchPickleHooks } from "./globals.js";
import { type PickleHooks, type PickleValue, unpickle } from "./pickle.js";
import { stateDictOf } from "./state-dict.js";
import type { TensorRef } from "./storage.js";

// Pickles made by CPython's pickle.dumps, as hex, so each test shows exactly the bytes it decodes.
const PLAIN_VALUES = {
  // {'a': [1, -2, 2**70, -(2**63), 1.5, None, True, False, 'héllo', b'xy', (1,2), (), (3,), (4,5,6)], 'b': {1, 2}, 'c': frozenset([3])}
  protocol4:
    "8004956b000000000000007d94288c0161945d94284b014afeffffff8a090000000000000000408a080000000000000080473ff80000000000004e88898c0668c3a96c6c6f9443027879944b014b028694294b0385944b044b054b068794658c0162948f94284b014b02908c016394284b039194752e",
  protocol2:
    "80027d71002858010000006171015d7102284b014afeffffff8a090000000000000000408a080000000000000080473ff80000000000004e8889580600000068c3a96c6c6f7103635f636f646563730a656e636f64650a710458020000007879710558060000006c6174696e3171068671075271084b014b02867109294b0385710a4b044b054b0687710b65580100000062710c635f5f6275696c74696e5f5f0a7365740a710d5d710e284b014b026585710f5271105801000000637111635f5f6275696c74696e5f5f0a66726f7a656e7365740a71125d71134b0361857114527115752e",
};
// l = [1]; l.append(l); {'x': l, 'y': l}
const CYCLE = "80027d71002858010000007871015d7102284b0168026558010000007971036802752e";
// An object whose __reduce__ is (builtins.eval, ('1+1',)): protocol 2 names it __builtin__.eval.
const EVAL = "8002635f5f6275696c74696e5f5f0a6576616c0a71005803000000312b3171018571025271032e";

const source = { file: "test.pt", entry: "archive/data.pkl" };
const hex = (text: string) => Uint8Array.from(Buffer.from(text, "hex"));
const decode = (text: string) => unpickle(hex(text), torchPickleHooks(source, new Set<TensorRef>()), source).value;

describe("unpickle", () => {
  for (const [protocol, bytes] of Object.entries(PLAIN_VALUES)) {
    it(`decodes Python values (${protocol})`, () => {
      const root = decode(bytes) as Map<string, PickleValue>;
      assert.deepEqual(root.get("a"), [
        1, -2, 2n ** 70n, -(2n ** 63n), 1.5, null, true, false, "héllo", Uint8Array.of(0x78, 0x79), [1, 2], [], [3], [4, 5, 6],
      ]);
      assert.deepEqual(root.get("b"), new Set([1, 2]));
      assert.deepEqual(root.get("c"), new Set([3]));
    });
  }

  it("keeps shared and cyclic references, and stateDictOf terminates on them", () => {
    const root = decode(CYCLE) as Map<string, PickleValue[]>;
    const list = root.get("x")!;
    assert.equal(root.get("y"), list);
    assert.equal(list[1], list);
    assert.equal(stateDictOf(root).size, 0);
  });

  it("refuses a global off the allow-list before anything could call it", () => {
    const calls: string[] = [];
    const hooks: PickleHooks = { ...torchPickleHooks(source, new Set()) };
    const reduce = hooks.reduce;
    hooks.reduce = (callable, args) => {
      calls.push(String(callable));
      return reduce(callable, args);
    };
    assert.throws(
      () => unpickle(hex(EVAL), hooks, source),
      (e: unknown) => e instanceof UnsafePickleError && e.global === "__builtin__.eval" && /test\.pt: archive\/data\.pkl: refusing global __builtin__\.eval/.test(e.message),
    );
    assert.deepEqual(calls, []);
  });

  it("admits torch dtypes as inert names", () => {
    // GLOBAL 'torch float16', STOP
    const value = unpickle(Uint8Array.from([0x80, 2, ...Buffer.from("ctorch\nfloat16\n"), 0x2e]), torchPickleHooks(source, new Set()), source).value;
    assert.ok(value instanceof PickleGlobal);
    assert.equal(value.name, "torch.float16");
  });

  it("names the file and entry when the pickle is truncated", () => {
    const bytes = hex(PLAIN_VALUES.protocol2);
    assert.throws(
      () => unpickle(bytes.subarray(0, 40), torchPickleHooks(source, new Set()), source),
      (e: unknown) => e instanceof FileFormatError && /test\.pt: archive\/data\.pkl: .*truncated/.test(e.message),
    );
  });

  it("rejects opcodes it does not implement rather than guessing", () => {
    // PROTO 2, INST (0x69) — a protocol-0 way of instantiating arbitrary classes.
    assert.throws(
      () => unpickle(Uint8Array.from([0x80, 2, 0x69]), torchPickleHooks(source, new Set()), source),
      /unsupported pickle opcode 0x69 at byte 2/,
    );
  });

  it("rejects a STOP that leaves extra values on the stack", () => {
    assert.throws(() => unpickle(Uint8Array.from([0x80, 2, 0x4e, 0x4e, 0x2e]), torchPickleHooks(source, new Set()), source), /STOP with 2 values/);
  });
});
