import { FileFormatError, UnsafePickleError } from "../../errors.js";
import { type PickleHooks, type PickleSource, type PickleValue, describe } from "./pickle.js";
import { type StorageRef, TensorRef, storageType, storageTypeNames } from "./storage.js";

/**
 * The allow-list: the only Python globals a checkpoint may name, each with a JavaScript
 * re-implementation of the little it does when rebuilding tensors. Everything else (os.system,
 * builtins.eval, a user's nn.Module class, numpy arrays, ...) stops loading with
 * UnsafePickleError; none of it is ever imported or called.
 */

/** A global the allow-list admitted, as it sits in the unpickled tree: only its name. */
export class PickleGlobal {
  constructor(readonly name: string) {}
}

/**
 * An instance of a TorchScript class (`__torch__.*`, from `torch.jit.save`), kept as data: its
 * class name and the attribute dict that BUILD gave it. No method of it exists or runs.
 */
export class TorchScriptObject {
  state: PickleValue = null;
  constructor(readonly className: string) {}
}

type Call = (args: PickleValue[], fail: (message: string) => never) => PickleValue;

/** Rebuilds a tensor view from (storage, storage_offset, size, stride, ...). */
const rebuildTensor: Call = ([storage, offset, size, stride], fail) => {
  if (!(storage instanceof StorageSlot)) return fail(`tensor rebuilt from a ${describe(storage)}, not a storage`);
  const shape = intList(size, "size", fail);
  const strides = intList(stride, "stride", fail);
  if (typeof offset !== "number" || offset < 0 || strides.length !== shape.length) {
    return fail(`tensor with offset ${String(offset)}, size [${shape}] and stride [${strides}] is malformed`);
  }
  return new TensorRef(storage.ref, offset, shape, strides);
};

/** Tensor subclasses (Parameter, ...) wrap a rebuild function; the tensor is all we keep. */
const rebuildFromType: Call = ([func, , args], fail) => {
  if (!(func instanceof PickleGlobal) || !Array.isArray(args)) return fail("malformed _rebuild_from_type arguments");
  const call = CALLS.get(func.name);
  if (!call) return fail(`${func.name} cannot be called by _rebuild_from_type`);
  return call(args, fail);
};

/** TorchScript's typed-list helpers and type tags only annotate a value. */
const first: Call = ([value]) => value;

const CALLS: ReadonlyMap<string, Call> = new Map<string, Call>([
  ["collections.OrderedDict", (args) => new Map(Array.isArray(args[0]) ? (args[0] as [PickleValue, PickleValue][]) : [])],
  ["torch._utils._rebuild_tensor", rebuildTensor],
  ["torch._utils._rebuild_tensor_v2", rebuildTensor],
  // Parameters: (data, requires_grad, backward_hooks[, state]); the data is the tensor.
  ["torch._utils._rebuild_parameter", first],
  ["torch._utils._rebuild_parameter_with_state", first],
  ["torch._tensor._rebuild_from_type", rebuildFromType],
  ["torch._tensor._rebuild_from_type_v2", rebuildFromType],
  ["torch.Size", ([dims], fail) => intList(dims, "torch.Size", fail)],
  ["torch.device", ([kind, index]) => (typeof index === "number" ? `${String(kind)}:${index}` : String(kind))],
  ["torch.jit._pickle.build_intlist", first],
  ["torch.jit._pickle.build_doublelist", first],
  ["torch.jit._pickle.build_boollist", first],
  ["torch.jit._pickle.build_tensorlist", first],
  ["torch.jit._pickle.build_genlist", first],
  ["torch.jit._pickle.restore_type_tag", first],
  // Protocol 2 has no bytes opcode: Python 3 pickles bytes as _codecs.encode(latin-1 text).
  [
    "_codecs.encode",
    ([text, encoding], fail) =>
      typeof text === "string" && encoding === "latin1"
        ? Uint8Array.from(text, (c) => c.charCodeAt(0))
        : fail(`_codecs.encode(${describe(text)}, ${String(encoding)}) is not a bytes literal`),
  ],
  ...["builtins", "__builtin__"].flatMap((m): [string, Call][] => [
    [`${m}.set`, ([items]) => new Set(Array.isArray(items) ? items : [])],
    [`${m}.frozenset`, ([items]) => new Set(Array.isArray(items) ? items : [])],
  ]),
]);

/** Globals that may appear as values but are never called: types and dtypes. */
const MARKERS: ReadonlySet<string> = new Set([
  "torch.Tensor",
  "torch.nn.parameter.Parameter",
  ...["float32", "float", "float64", "double", "float16", "half", "bfloat16", "int64", "long", "int32", "int", "int16", "short", "int8", "uint8", "bool"].map(
    (d) => `torch.${d}`,
  ),
]);

function intList(value: PickleValue, what: string, fail: (message: string) => never): number[] {
  if (!Array.isArray(value) || !value.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    return fail(`${what} is not a list of non-negative integers`);
  }
  return value as number[];
}

/** What a persistent id resolves to; only rebuildTensor unwraps it. */
class StorageSlot {
  constructor(readonly ref: StorageRef) {}
}

/**
 * The hooks that rebuild a torch pickle. Every tensor view they create is added to `tensors`,
 * for `materialize` to read once unpickling is done.
 */
export function torchPickleHooks(source: PickleSource, tensors: Set<TensorRef>): PickleHooks {
  const fail = (message: string): never => {
    throw new FileFormatError(source.file, `${source.entry}: ${message}`);
  };
  const storages = new Map<string, StorageSlot>();
  return {
    global(module, name) {
      const full = `${module}.${name}`;
      // TorchScript classes are only ever instantiated as data (see TorchScriptObject), and a
      // storage class only labels a persistent id, so both are safe to admit by pattern.
      if (CALLS.has(full) || MARKERS.has(full) || module.startsWith("__torch__") || /^torch\.\w+Storage$/.test(full)) {
        return new PickleGlobal(full);
      }
      throw new UnsafePickleError(
        source.file,
        full,
        `${source.entry}: refusing global ${full}: it is not one of the tensor-rebuilding functions this loader allows (nothing was executed)`,
      );
    },
    reduce(callable, args) {
      const call = callable instanceof PickleGlobal ? CALLS.get(callable.name) : undefined;
      if (!call) return fail(`cannot call ${callable instanceof PickleGlobal ? callable.name : describe(callable)}`);
      const value = call(args, fail);
      if (value instanceof TensorRef) tensors.add(value);
      return value;
    },
    newObject(cls) {
      if (cls instanceof PickleGlobal && cls.name.startsWith("__torch__")) return new TorchScriptObject(cls.name);
      return fail(`cannot instantiate ${cls instanceof PickleGlobal ? cls.name : describe(cls)}`);
    },
    build(target, state) {
      if (target instanceof TorchScriptObject) target.state = state;
      // An OrderedDict state dict carries `_metadata` (module versions for load_state_dict's
      // migrations) as instance state: meaningless here, dropped.
      else if (!(target instanceof Map)) fail(`cannot set the state of a ${describe(target)}`);
      return target;
    },
    persistentLoad(id) {
      if (typeof id === "string") {
        return fail(
          "storage named by a text persistent id (pickle protocol 0), which torch.load cannot read either: " +
            "re-save the checkpoint with torch.save's default protocol",
        );
      }
      if (!Array.isArray(id) || id[0] !== "storage" || !(id[1] instanceof PickleGlobal) || typeof id[2] !== "string") {
        return fail("persistent id is not a ('storage', type, key, ...) tuple");
      }
      const [, typeGlobal, key] = id as [string, PickleGlobal, string];
      const type = storageType(typeGlobal.name);
      if (!type) {
        return fail(`storage ${key} has unsupported type ${typeGlobal.name} (supported: ${storageTypeNames().join(", ")})`);
      }
      let slot = storages.get(key);
      if (!slot) storages.set(key, (slot = new StorageSlot({ key, type })));
      return slot;
    },
  };
}
