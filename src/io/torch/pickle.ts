import { FileFormatError } from "../../errors.js";

/**
 * A restricted unpickler: it decodes the pickle opcodes of protocols 0 to 5 into plain
 * JavaScript values and hands every place where Python would import or call something (GLOBAL,
 * REDUCE, NEWOBJ, BUILD, persistent ids) to hooks. It never evaluates anything by itself, so
 * what a pickle can do is exactly what the hooks allow.
 *
 * Python values map to: None -> null, bool -> boolean, int -> number (bigint beyond 2^53),
 * float -> number, str -> string, bytes -> Uint8Array, list and tuple -> Array, dict -> Map.
 */

/** What a decoded pickle value can be; hooks add their own kinds (tensors, module objects). */
export type PickleValue = unknown;

export interface PickleHooks {
  /** GLOBAL / STACK_GLOBAL: return a value standing for `module.name`, or throw to refuse it. */
  global(module: string, name: string): PickleValue;
  /** REDUCE: `callable(*args)` for a callable that `global` returned. */
  reduce(callable: PickleValue, args: PickleValue[]): PickleValue;
  /** NEWOBJ / NEWOBJ_EX: `cls.__new__(cls, *args)`. */
  newObject(cls: PickleValue, args: PickleValue[]): PickleValue;
  /** BUILD: `obj.__setstate__(state)`; returns the object that stays on the stack. */
  build(target: PickleValue, state: PickleValue): PickleValue;
  /** BINPERSID: the object a persistent id refers to (torch: a storage in the archive). */
  persistentLoad(id: PickleValue): PickleValue;
}

/** Where a pickle came from, for error messages: the file and the entry inside it. */
export interface PickleSource {
  file: string;
  entry: string;
}

const MARK = Symbol("mark");
const LATIN1 = new TextDecoder("latin1");

/** Decodes one pickle from `data`, starting at `start`; returns the value and where STOP ended. */
export function unpickle(
  data: Uint8Array,
  hooks: PickleHooks,
  source: PickleSource,
  start = 0,
): { value: PickleValue; end: number } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const stack: PickleValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PickleValue>();
  let at = start;
  // Protocols 0 and 1 have no PROTO opcode; errors name the protocol so "re-save it" makes sense.
  let protocol = "0 or 1";

  const fail = (message: string): never => {
    throw new FileFormatError(source.file, `${source.entry}: ${message}`);
  };
  const need = (n: number): number => {
    if (at + n > data.length) fail(`pickle ends at byte ${data.length}, ${at + n - data.length} bytes short (truncated)`);
    const here = at;
    at += n;
    return here;
  };
  const u8 = () => data[need(1)];
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const u64 = () => {
    const n = view.getBigUint64(need(8), true);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${n} is too large`);
    return Number(n);
  };
  const bytes = (n: number) => data.subarray(need(n), at);
  const text = (n: number) => {
    try {
      return utf8.decode(bytes(n));
    } catch {
      return fail(`invalid UTF-8 in a string at byte ${at - n}`);
    }
  };
  const line = (what: string) => {
    const end = data.indexOf(0x0a, at);
    if (end < 0) fail(`unterminated ${what} at byte ${at}`);
    return LATIN1.decode(bytes(end - at + 1).subarray(0, -1));
  };
  // Python reads these lengths as signed 32-bit (BINSTRING, LONG4) and refuses negative ones.
  const signedLength = (op: string) => {
    const n = view.getInt32(need(4), true);
    if (n < 0) fail(`${op} with a negative length (${n}) at byte ${at - 4}`);
    return n;
  };
  const memoKey = (text: string, op: string) => {
    if (!/^\d+$/.test(text)) fail(`${op} with a memo key that is not a number: ${JSON.stringify(text.slice(0, 40))}`);
    return Number(text);
  };
  const pop = (): PickleValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length === marks[marks.length - 1])) fail(`stack underflow at byte ${at - 1}`);
    return stack.pop();
  };
  const top = (): PickleValue => {
    if (stack.length === 0) fail(`empty stack at byte ${at - 1}`);
    return stack[stack.length - 1];
  };
  const popMark = (): PickleValue[] => {
    const mark = marks.pop();
    if (mark === undefined) fail(`no MARK for the opcode at byte ${at - 1}`);
    return stack.splice(mark as number);
  };
  const memoGet = (key: number) => {
    if (!memo.has(key)) fail(`memo key ${key} is not set`);
    return memo.get(key);
  };
  const asMap = (target: PickleValue, op: string): Map<PickleValue, PickleValue> => {
    if (!(target instanceof Map)) fail(`${op} on a ${describe(target)}, not a dict`);
    return target as Map<PickleValue, PickleValue>;
  };
  const asList = (target: PickleValue, op: string): PickleValue[] => {
    if (!Array.isArray(target)) fail(`${op} on a ${describe(target)}, not a list`);
    return target as PickleValue[];
  };
  const asArgs = (args: PickleValue, op: string): PickleValue[] => {
    if (!Array.isArray(args)) fail(`${op} arguments are a ${describe(args)}, not a tuple`);
    return args as PickleValue[];
  };

  for (;;) {
    const opAt = at;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail(`pickle protocol ${data[at - 1]} is newer than 5`);
        protocol = String(data[at - 1]);
        break;
      case 0x95: // FRAME: framing only groups opcodes for buffered reads; the bytes are inline.
        need(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length !== 0) fail(`STOP with ${stack.length} values on the stack`);
        return { value: stack[0], end: at };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(littleEndianInt(bytes(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(littleEndianInt(bytes(signedLength("LONG4"))));
        break;
      case 0x49: // INT (protocol 0 text; "00" and "01" are how protocols 0 and 1 write False and True)
      case 0x4c: {
        // LONG (protocol 0 text, with an optional trailing L)
        const name = op === 0x49 ? "INT" : "LONG";
        const text = line(name);
        if (op === 0x49 && (text === "00" || text === "01")) stack.push(text === "01");
        else stack.push(decimalInt(text.replace(/L$/, ""), name, fail));
        break;
      }
      case 0x46: // FLOAT (protocol 0 text, Python's repr)
        stack.push(decimalFloat(line("FLOAT"), fail));
        break;
      case 0x53: // STRING (protocol 0: a quoted Python 2 str literal)
        stack.push(quotedString(line("STRING"), fail));
        break;
      case 0x56: // UNICODE (protocol 0: raw-unicode-escape)
        stack.push(line("UNICODE").replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, short, long) => unicodeChar(parseInt(short ?? long, 16), fail)));
        break;
      case 0x47: // BINFLOAT (big-endian, unlike everything else)
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x55: // SHORT_BINSTRING (a Python 2 str)
        stack.push(LATIN1.decode(bytes(u8())));
        break;
      case 0x54: // BINSTRING
        stack.push(LATIN1.decode(bytes(signedLength("BINSTRING"))));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bytes(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(bytes(u32()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(bytes(u64()).slice());
        break;
      case 0x96: // BYTEARRAY8
        stack.push(bytes(u64()).slice());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x74: // TUPLE
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const dict = new Map<PickleValue, PickleValue>();
        for (let i = 0; i + 1 < items.length; i += 2) dict.set(items[i], items[i + 1]);
        stack.push(dict);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark()));
        break;
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        asMap(top(), "SETITEM").set(key, value);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const dict = asMap(top(), "SETITEMS");
        for (let i = 0; i + 1 < items.length; i += 2) dict.set(items[i], items[i + 1]);
        break;
      }
      case 0x61: {
        // APPEND
        const value = pop();
        asList(top(), "APPEND").push(value);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = asList(top(), "APPENDS");
        for (const item of items) list.push(item);
        break;
      }
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const set = top();
        if (!(set instanceof Set)) fail(`ADDITEMS on a ${describe(set)}, not a set`);
        for (const item of items) (set as Set<PickleValue>).add(item);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x70: // PUT (protocol 0 text)
        memo.set(memoKey(line("PUT"), "PUT"), top());
        break;
      case 0x67: // GET (protocol 0 text)
        stack.push(memoGet(memoKey(line("GET"), "GET")));
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x63: {
        // GLOBAL
        const module = line("GLOBAL");
        stack.push(hooks.global(module, line("GLOBAL")));
        break;
      }
      case 0x69: {
        // INST (protocols 0 and 1): `module.name(*args)`, a call like REDUCE, asked of the same hooks.
        const module = line("INST");
        const cls = hooks.global(module, line("INST"));
        stack.push(hooks.reduce(cls, popMark()));
        break;
      }
      case 0x6f: {
        // OBJ (protocol 1): `cls(*args)` with the class first after the MARK.
        const [cls, ...args] = popMark();
        stack.push(hooks.reduce(cls, args));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("STACK_GLOBAL needs two strings");
        stack.push(hooks.global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = asArgs(pop(), "REDUCE");
        stack.push(hooks.reduce(pop(), args));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = asArgs(pop(), "NEWOBJ");
        stack.push(hooks.newObject(pop(), args));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX: keyword arguments are never used by the classes we allow.
        pop();
        const args = asArgs(pop(), "NEWOBJ_EX");
        stack.push(hooks.newObject(pop(), args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        stack.push(hooks.build(pop(), state));
        break;
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      case 0x50: // PERSID (protocol 0: the id as a line of text)
        stack.push(hooks.persistentLoad(line("PERSID")));
        break;
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, "0")} at byte ${opAt} (pickle protocol ${protocol})`);
    }
  }
}

/** Two's-complement little-endian integer of any width (LONG1/LONG4); a bigint past 2^53. */
function littleEndianInt(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(8 * bytes.length);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

type Fail = (message: string) => never;

/** INT / LONG text: a decimal integer, a bigint past 2^53. */
function decimalInt(text: string, op: string, fail: Fail): number | bigint {
  if (!/^[+-]?\d+$/.test(text.trim())) return fail(`${op} with a value that is not an integer: ${JSON.stringify(text.slice(0, 40))}`);
  const value = BigInt(text.trim());
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** FLOAT text as Python's `float()` reads `repr` output (inf and nan included). */
function decimalFloat(text: string, fail: Fail): number {
  const t = text.trim().toLowerCase();
  const special: Record<string, number> = { inf: Infinity, "+inf": Infinity, "-inf": -Infinity, nan: NaN, "-nan": NaN, "+nan": NaN };
  if (t in special) return special[t];
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return fail(`FLOAT with a value that is not a number: ${JSON.stringify(text.slice(0, 40))}`);
  return Number(t);
}

function unicodeChar(code: number, fail: Fail): string {
  if (code > 0x10ffff) return fail(`UNICODE escape U+${code.toString(16)} is past U+10FFFF`);
  return String.fromCodePoint(code);
}

const SIMPLE_ESCAPES: Record<string, string> = { "\\": "\\", "'": "'", '"': '"', n: "\n", r: "\r", t: "\t", a: "\x07", b: "\b", f: "\f", v: "\v", "\n": "" };

/** STRING's argument: a quoted Python 2 str literal with backslash escapes, each byte a latin-1 character. */
function quotedString(text: string, fail: Fail): string {
  const quote = text[0];
  if (text.length < 2 || (quote !== "'" && quote !== '"') || text[text.length - 1] !== quote) {
    return fail("STRING argument is not quoted");
  }
  return text.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|[\s\S])/g, (match, esc: string) => {
    if (esc[0] === "x") return String.fromCharCode(parseInt(esc.slice(1), 16));
    if (/^[0-7]/.test(esc)) return String.fromCharCode(parseInt(esc, 8) & 0xff);
    return SIMPLE_ESCAPES[esc] ?? match;
  });
}

/** A short name for a value's kind, for error messages. */
export function describe(value: PickleValue): string {
  if (value === null) return "None";
  if (Array.isArray(value)) return "tuple/list";
  if (value instanceof Map) return "dict";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value;
}
