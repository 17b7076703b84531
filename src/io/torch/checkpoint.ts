import { closeSync, openSync, readSync } from "node:fs";
import { FileFormatError } from "../../errors.js";
import type { Tensor } from "../../tensor/tensor.js";
import { TorchScriptObject, torchPickleHooks } from "./globals.js";
import { type PickleValue, unpickle } from "./pickle.js";
import { stateDictOf } from "./state-dict.js";
import { type TensorRef, materialize } from "./storage.js";
import { torchScriptSlots } from "./torchscript.js";
import { ZipReader, startsLikeZip } from "./zip.js";

/** A PyTorch checkpoint read without Python: the weights and the whole unpickled object. */
export interface TorchCheckpoint {
  /** The weights, named as `state_dict()` names them (see `stateDictOf`). */
  stateDict: Map<string, Tensor>;
  /**
   * The unpickled root object, for what else the file holds ("epoch", hyper-parameters...):
   * dicts are Maps, lists and tuples Arrays, tensors Tensors, TorchScript modules
   * TorchScriptObjects, allowed Python globals (dtypes) PickleGlobals.
   */
  root: PickleValue;
  /** "torchscript" for `torch.jit.save` archives, "pickle" for `torch.save` files. */
  kind: "pickle" | "torchscript";
}

// torch.save before PyTorch 1.6 wrote several pickles back to back, the first being this
// magic number as a protocol-2 LONG1: PROTO 2, LONG1 10 bytes, 0x1950a86a20f9469cfc6c.
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

/**
 * Reads a PyTorch `.pt` / `.pth` / `.bin` checkpoint written by `torch.save` (PyTorch >= 1.6,
 * zip format) or `torch.jit.save`. The pickle is decoded by a restricted unpickler that only
 * knows how to rebuild tensors: a file naming any other Python global is refused with
 * UnsafePickleError, and nothing in it is ever executed. Each storage is read from its own
 * offset in the file, so memory holds the resulting tensors, not a copy of the file.
 *
 * @example
 * const { stateDict, root } = readTorchCheckpoint("checkpoint.pt");
 * stateDict.get("visual.conv1.weight")?.shape;   // [768, 3, 32, 32]
 * (root as Map<string, unknown>).get("epoch");   // 12
 */
export function readTorchCheckpoint(path: string): TorchCheckpoint {
  rejectLegacy(path);
  const zip = ZipReader.open(path);
  try {
    const archive = archiveName(zip);
    const byteOrder = zip.entries.has(`${archive}/byteorder`) ? new TextDecoder().decode(zip.readEntry(`${archive}/byteorder`)) : "little";
    if (byteOrder.trim() !== "little") {
      throw new FileFormatError(path, `${archive}/byteorder says ${byteOrder.trim()}: only little-endian checkpoints are supported`);
    }
    const entry = `${archive}/data.pkl`;
    const tensors = new Set<TensorRef>();
    const { value } = unpickle(zip.readEntry(entry), torchPickleHooks({ file: path, entry }, tensors), { file: path, entry });
    const storageEntry = (key: string) => `${archive}/data/${key}`;
    const built = materialize(tensors, {
      file: path,
      describe: (key) => `zip entry ${storageEntry(key)}`,
      bytes: (key) => zip.entry(storageEntry(key)).size,
      read: (key, start, length) => zip.readRange(storageEntry(key), start, length),
    });
    const root = replaceTensors(value, built);
    const kind = root instanceof TorchScriptObject ? "torchscript" : "pickle";
    const slots = kind === "torchscript" ? torchScriptSlots(zip, archive) : undefined;
    return { stateDict: stateDictOf(root, slots), root, kind };
  } finally {
    zip.close();
  }
}

/**
 * The state dict of a PyTorch checkpoint; see `readTorchCheckpoint`.
 *
 * @example
 * const weights = loadTorchCheckpoint("ViT-B-32.pt");   // OpenAI's TorchScript archive
 * weights.get("visual.class_embedding")?.shape;          // [768]
 */
export function loadTorchCheckpoint(path: string): Map<string, Tensor> {
  return readTorchCheckpoint(path).stateDict;
}

function rejectLegacy(path: string): void {
  const head = new Uint8Array(LEGACY_MAGIC.length);
  const fd = openSync(path, "r");
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (n === head.length && LEGACY_MAGIC.every((b, i) => head[i] === b)) {
    throw new FileFormatError(
      path,
      "legacy torch.save format (PyTorch < 1.6, not a zip archive) is not supported: re-save it with a current PyTorch, " +
        "e.g. torch.save(torch.load(f), f)",
    );
  }
  if (!startsLikeZip(head.subarray(0, n))) {
    throw new FileFormatError(path, "not a PyTorch checkpoint: neither a zip archive (torch.save >= 1.6, torch.jit.save) nor the legacy format");
  }
}

/** torch names the archive's top folder after the file (or "archive"); it is whatever holds data.pkl. */
function archiveName(zip: ZipReader): string {
  const candidates = [...zip.entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (candidates.length !== 1) {
    throw new FileFormatError(
      zip.path,
      candidates.length === 0
        ? "zip archive has no <archive>/data.pkl entry: not a torch.save or torch.jit.save file " +
            "(TorchScript archives from PyTorch < 1.4, with model.json, are not supported)"
        : `zip archive has ${candidates.length} data.pkl entries (${candidates.join(", ")}); expected one`,
    );
  }
  return candidates[0].slice(0, -"/data.pkl".length);
}

/**
 * Swaps every TensorRef in the unpickled tree for its Tensor, in place (the tree may share
 * nodes). Walked with an explicit stack: a pickle nested 100,000 deep is a few hundred KB and
 * must not overflow the call stack.
 */
function replaceTensors(root: PickleValue, tensors: Map<TensorRef, Tensor>): PickleValue {
  const swap = (value: PickleValue): PickleValue => tensors.get(value as TensorRef) ?? value;
  const seen = new Set<object>();
  const todo: PickleValue[] = [root];
  while (todo.length > 0) {
    const value = todo.pop();
    if (typeof value !== "object" || value === null || seen.has(value)) continue;
    seen.add(value);
    if (value instanceof Map) {
      for (const [key, item] of value) {
        value.set(key, swap(item));
        todo.push(item);
      }
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        todo.push(value[i]);
        value[i] = swap(value[i]);
      }
    } else if (value instanceof Set) {
      for (const item of [...value]) {
        const swapped = swap(item);
        if (swapped !== item) {
          value.delete(item);
          value.add(swapped);
        }
        todo.push(item);
      }
    } else if (value instanceof TorchScriptObject) {
      todo.push(value.state);
      value.state = swap(value.state);
    }
  }
  return swap(root);
}
