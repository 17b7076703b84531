/**
 * The sweep of hostile inputs vlmkit must refuse (or handle) with one named line and bounded
 * memory, written into a temporary folder at test time rather than committed: endless and huge
 * image files, decompression and aspect-ratio bombs, crafted PyTorch checkpoints, badly encoded
 * manifests, a template without its label. Each case says how the CLI is run on it and what it
 * must answer; src/cli/hostile-inputs.test.ts runs them.
 */
import { copyFileSync, existsSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { referencePath } from "./reference.js";
import { PickleWriter, type ViewSpec, stateDictPickle, torchCheckpoint, zipArchive } from "./torch-zip.js";

export interface HostileCase {
  name: string;
  /** `vlm` arguments. */
  args: string[];
  /** Extra environment for the child process. */
  env?: Record<string, string>;
  /** The one stderr line expected (after "vlm: "), or null when the command must succeed. */
  error: RegExp | null;
  /** Bound on the child's peak RSS, in MiB. */
  maxRssMiB: number;
}

const TORCH_FIXTURES = fileURLToPath(new URL("../fixtures/torch/", import.meta.url));

/** A PNG of one colour; solid colour compresses to a few hundred bytes however large. */
function solidPng(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 30, g: 140, b: 220 } }, limitInputPixels: false })
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/** A sparse file of `size` bytes that starts with `head` (no disk space used). */
async function sparseFile(path: string, head: Uint8Array, size: number): Promise<void> {
  const handle = await open(path, "w");
  await handle.write(head, 0, head.length, 0);
  await handle.truncate(size);
  await handle.close();
}

/** Writes every hostile input into `dir` and returns the cases that use them. */
export async function writeHostileCorpus(dir: string): Promise<HostileCase[]> {
  const path = (name: string) => join(dir, name);
  const write = (name: string, bytes: Uint8Array | string) => {
    writeFileSync(path(name), bytes);
    return path(name);
  };
  const good = write("good.png", await solidPng(40, 30));
  const classify = (...extra: string[]) => ["classify", good, "--labels", "cat,dog", ...extra];
  const cases: HostileCase[] = [];
  const add = (c: HostileCase) => cases.push(c);

  // Images read whole before their format was checked.
  if (existsSync("/dev/zero")) {
    add({ name: "an image path to /dev/zero", args: ["classify", "/dev/zero", "--labels", "cat,dog"], error: /\/dev\/zero: not an image: the first bytes/, maxRssMiB: 400 });
  }
  await sparseFile(path("huge.png"), Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), 3 * 2 ** 30);
  add({ name: "a 3 GiB file with a PNG signature", args: ["classify", path("huge.png"), "--labels", "cat,dog"], error: /huge\.png: file too large: 3221225472 bytes, the limit is 536870912/, maxRssMiB: 400 });

  // Extreme aspect ratios (a 609-byte 20000x2 PNG once took 1.7 GB) and a batch of large images.
  const banner = write("banner.png", await solidPng(20000, 2));
  const line = write("line.png", await solidPng(60000, 1));
  // At 224 px (the reference model) the whole resize of the banner would be 2,240,000 x 224 (1.7 GB peak before).
  const at224 = existsSync(referencePath("clip", "tiny", "hf")) ? ["--model", referencePath("clip", "tiny", "hf")] : [];
  add({ name: "20000x2 and 60000x1 PNGs", args: ["classify", banner, line, "--labels", "cat,dog", ...at224], error: null, maxRssMiB: 400 });
  const big = await solidPng(5000, 5000);
  const batch = Array.from({ length: 6 }, (_, i) => write(`big${i}.png`, big));
  // Decoded together they peaked at 656 MB (75 MB each); one at a time, about 340 MB with the CLI's own.
  add({ name: "six 5000x5000 PNGs in one batch", args: ["classify", ...batch, "--labels", "cat,dog"], error: null, maxRssMiB: 500 });

  // A template without its label: every label would score the same.
  add({ name: "a template without {}", args: classify("--template", "a photo"), error: /template "a photo" has no "\{\}" for the label/, maxRssMiB: 400 });

  // PyTorch checkpoints.
  const zeroStrides = write("zero-strides.pt", torchCheckpoint(stateDictPickle([{ name: "w", storage: "0", numel: 1, shape: [20000, 20000], stride: [0, 0] }]), { "0": 1 }));
  add({ name: "a 4-byte storage viewed as 20000x20000", args: classify("--model", zeroStrides), error: /zero-strides\.pt: its tensor views would copy 1526 MiB out of 4 bytes of storage/, maxRssMiB: 400 });
  const small = stateDictPickle([{ name: "w", storage: "0", numel: 250, shape: [250], stride: [1] }]);
  const bomb = write("inflate-bomb.pt", zipArchive([
    { name: "archive/data.pkl", data: small },
    { name: "archive/data/0", data: new Uint8Array(64 * 2 ** 20), deflate: true, claimedSize: 1000 },
  ]));
  add({ name: "a deflated storage that inflates past its size", args: classify("--model", bomb), error: /inflate-bomb\.pt: zip entry archive\/data\/0 inflates past the 1000 bytes/, maxRssMiB: 400 });
  const claims = write("claims.pt", torchCheckpoint(small, { "0": 250 }, { deflate: true, claimedSize: { "0": 4_000_000_000 } }));
  add({ name: "a deflated storage claiming 4 GB", args: classify("--model", claims), error: /claims\.pt: zip entry archive\/data\/0 claims 4000000000 bytes/, maxRssMiB: 400 });
  const views = Array.from({ length: 200_000 }, (_, i): ViewSpec => ({ name: `v${i}`, storage: "0", numel: 4, offset: i % 4, shape: [1], stride: [1] }));
  const manyViews = write("many-views.pt", torchCheckpoint(stateDictPickle(views), { "0": 4 }));
  add({ name: "200,000 views of one storage", args: classify("--model", manyViews), error: /many-views\.pt/, maxRssMiB: 700 });
  const nested = new PickleWriter();
  for (let i = 0; i < 100_000; i++) nested.op(0x5d); // EMPTY_LIST
  const deep = Buffer.concat([nested.bytes().subarray(0, -1), Buffer.alloc(99_999, 0x61), Buffer.from([0x2e])]);
  const deepFile = write("nested.pt", torchCheckpoint(deep, {}));
  add({ name: "lists nested 100,000 deep", args: classify("--model", deepFile), error: /nested\.pt/, maxRssMiB: 400 });
  const negative = write("negative-length.pt", torchCheckpoint(Uint8Array.of(0x80, 2, 0x54, 0xff, 0xff, 0xff, 0xff, 0x2e), {}));
  add({ name: "a negative BINSTRING length", args: classify("--model", negative), error: /BINSTRING with a negative length \(-1\)/, maxRssMiB: 400 });
  const protocol0 = path("protocol0.pt");
  copyFileSync(join(TORCH_FIXTURES, "protocol0.pt"), protocol0);
  add({ name: "a protocol-0 checkpoint", args: classify("--model", protocol0), error: /text persistent id \(pickle protocol 0\)/, maxRssMiB: 400 });

  // Manifests that would train on garbage.
  const train = (data: string) => ["train", "clip", "--data", data, "--out", path("run"), "--model-config", "tiny", "--epochs", "1"];
  const latin1 = write("latin1.csv", Buffer.concat([Buffer.from("filepath,title\ngood.png,caf"), Buffer.from([0xe9]), Buffer.from("\n")]));
  add({ name: "a Latin-1 manifest", args: train(latin1), error: /latin1\.csv:2: not valid UTF-8 \(bytes e9 0a\)/, maxRssMiB: 400 });
  const utf16 = write("utf16.csv", Buffer.from("filepath,title\ngood.png,a cat\n", "utf16le"));
  add({ name: "a UTF-16 manifest without a byte-order mark", args: train(utf16), error: /utf16\.csv:1: a NUL byte: this is not a text file, or it is UTF-16 without a byte-order mark/, maxRssMiB: 400 });
  return cases;
}
