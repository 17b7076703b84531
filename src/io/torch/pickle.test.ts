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
// {'a': [1, -2, 2**70, -(2**63), 1.5, None, True, False, 'héllo\\ €\n', b'xy\'"\n', (1,2), (), (3,), (4,5,6), inf, -0.25]}
// at protocols 0 and 1, which have no PROTO opcode and write numbers, strings and memo keys as text.
const TEXT_PROTOCOLS = {
  protocol0:
    "286470300a56610a70310a286c70320a49310a61492d320a614c313138303539313632303731373431313330333432344c0a614c2d393232333337323033363835343737353830384c0a6146312e350a614e614930310a614930300a615668e96c6c6f5c7530303563205c75323061635c75303030610a70330a61635f636f646563730a656e636f64650a70340a2856787927225c75303030610a70350a566c6174696e310a70360a7470370a5270380a612849310a49320a7470390a612874612849330a747031300a612849340a49350a49360a747031310a6146696e660a61462d302e32350a61732e",
  protocol1:
    "7d710058010000006171015d7102284b014afeffffff4c313138303539313632303731373431313330333432344c0a4c2d393232333337323033363835343737353830384c0a473ff80000000000004e4930310a4930300a580c00000068c3a96c6c6f5c20e282ac0a7103635f636f646563730a656e636f64650a7104285805000000787927220a710558060000006c6174696e317106747107527108284b014b0274710929284b0374710a284b044b054b0674710b477ff000000000000047bfd000000000000065732e",
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

  for (const [protocol, bytes] of Object.entries(TEXT_PROTOCOLS)) {
    it(`decodes Python values (${protocol}, text opcodes)`, () => {
      const root = decode(bytes) as Map<string, PickleValue>;
      assert.deepEqual(root.get("a"), [
        1, -2, 2n ** 70n, -(2n ** 63n), 1.5, null, true, false, "h\u00e9llo\\ \u20ac\n", Uint8Array.from(Buffer.from("xy'\"\n")),
        [1, 2], [], [3], [4, 5, 6], Infinity, -0.25,
      ]);
    });
  }

  it("decodes a Python 2 STRING literal with its escapes", () => {
    // STRING 'a\x41\n\'\101', STOP
    const value = unpickle(Uint8Array.from(Buffer.from("S'a\\x41\\n\\'\\101'\n.", "latin1")), torchPickleHooks(source, new Set()), source).value;
    assert.equal(value, "aA\n'A");
  });

  it("refuses negative BINSTRING and LONG4 lengths, as Python reads them signed", () => {
    for (const [op, name] of [[0x54, "BINSTRING"], [0x8b, "LONG4"]] as const) {
      assert.throws(
        () => unpickle(Uint8Array.from([0x80, 2, op, 0xff, 0xff, 0xff, 0xff, 0x2e]), torchPickleHooks(source, new Set()), source),
        new RegExp(`${name} with a negative length \\(-1\\) at byte 3`),
      );
    }
  });

  it("unpickles a list nested 200,000 deep, and stateDictOf walks it", () => {
    // PROTO 2, EMPTY_LIST 200k times, APPEND 199,999 times (each puts the top list into the one below), STOP.
    const depth = 200_000;
    const bytes = new Uint8Array(2 + 2 * depth);
    bytes.set([0x80, 2]);
    bytes.fill(0x5d, 2, 2 + depth);
    bytes.fill(0x61, 2 + depth, 1 + 2 * depth);
    bytes[1 + 2 * depth] = 0x2e;
    const root = unpickle(bytes, torchPickleHooks(source, new Set()), source).value;
    let levels = 0;
    for (let node = root as PickleValue[]; node.length > 0; node = node[0] as PickleValue[]) levels++;
    assert.equal(levels, depth - 1);
    assert.equal(stateDictOf(root).size, 0);
  });

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

  it("rejects opcodes it does not implement rather than guessing, naming the protocol", () => {
    // NEXT_BUFFER (0x97): protocol 5's out-of-band buffers, which torch never writes.
    assert.throws(
      () => unpickle(Uint8Array.from([0x80, 5, 0x97]), torchPickleHooks(source, new Set()), source),
      /unsupported pickle opcode 0x97 at byte 2 \(pickle protocol 5\)/,
    );
    assert.throws(() => unpickle(Uint8Array.from([0x4e, 0xff]), torchPickleHooks(source, new Set()), source), /\(pickle protocol 0 or 1\)/);
  });

  it("asks the allow-list before INST or OBJ instantiate a class (protocols 0 and 1)", () => {
    // INST posix system ('echo',): refused as a global, before any call.
    const inst = Buffer.from("(S'echo'\niposix\nsystem\n.", "latin1");
    assert.throws(() => unpickle(inst, torchPickleHooks(source, new Set()), source), (e: unknown) => e instanceof UnsafePickleError && e.global === "posix.system");
    // MARK, GLOBAL torch.Size (allowed), OBJ with no argument: not a callable way to make a tensor.
    const obj = Buffer.from("(ctorch\nSize\no.", "latin1");
    assert.throws(() => unpickle(obj, torchPickleHooks(source, new Set()), source), /torch\.Size is not a list/);
  });

  it("rejects a STOP that leaves extra values on the stack", () => {
    assert.throws(() => unpickle(Uint8Array.from([0x80, 2, 0x4e, 0x4e, 0x2e]), torchPickleHooks(source, new Set()), source), /STOP with 2 values/);
  });
});
