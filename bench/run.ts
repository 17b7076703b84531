/**
 * `npm run bench`: runs every bench in turn; each prints one JSON object per line.
 * A new bench is a file under bench/ exporting a function, added to the list below.
 * Set BENCH=gemm,kernels to run a subset.
 */
import { cpus } from "node:os";
import { nativeInfo } from "../src/backend/index.js";
import { benchGemm, benchGemmHalf } from "./gemm.js";
import { benchKernels } from "./kernels.js";
import { benchVit } from "./vit.js";
import { benchClip } from "./clip.js";
import { benchClipTrain } from "./clip-train.js";
import { benchLlama } from "./llama.js";
import { emit } from "./lib.js";

const BENCHES: Record<string, () => void> = {
  gemm: benchGemm,
  gemm_half: benchGemmHalf,
  kernels: benchKernels,
  vit: benchVit,
  clip: benchClip,
  clip_train: benchClipTrain,
  llama: benchLlama,
};

let isa: string;
try {
  isa = nativeInfo().isa;
} catch {
  isa = "unavailable";
}
emit({ bench: "env", cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, native_isa: isa });

const wanted = process.env.BENCH?.split(",").map((s) => s.trim()).filter(Boolean) ?? Object.keys(BENCHES);
for (const name of wanted) {
  const bench = BENCHES[name];
  if (!bench) throw new Error(`unknown bench "${name}"; known: ${Object.keys(BENCHES).join(", ")}`);
  bench();
}
