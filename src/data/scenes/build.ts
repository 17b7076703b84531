import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ArgumentError, NotFoundError } from "../../errors.js";
import { Generator } from "../../tensor/random.js";
import { installPackages } from "../icons/packages.js";
import { STYLES } from "../icons/sources.js";
import { mapLimit } from "../map-limit.js";
import { chairAnnotation, chairSynonyms, evalQuestions, synonymsText, vqaLines } from "./eval-files.js";
import { captions } from "./language.js";
import { instructRecord, type LlavaRecord, pretrainRecord, recordsJson } from "./llava-records.js";
import { TEST_PHRASINGS, TRAIN_PHRASINGS } from "./phrasings.js";
import { POPE_SAMPLINGS, popeQuestions } from "./pope.js";
import { renderScene } from "./render.js";
import { SPLIT_ROLES, chooseHeldOutPairs, planSplits, PURPOSE, type SampledScene, sampleScene, type SceneSplit, sceneSeed, type SplitPlan } from "./splits.js";
import { loadSprites } from "./sprites.js";
import { cooccurReport, type CooccurReport, type ObjectStats, objectStats } from "./stats.js";
import { defaultVocabularyPath, loadVocabulary, type SceneVocabulary } from "./vocabulary.js";
import type { Scene } from "./scene.js";

export interface SceneBuildOptions {
  /** Output folder; default data/scenes. */
  out?: string;
  /** Where the emoji packages are (installed there when missing); default data/packages. */
  packagesDir?: string;
  /** The world's spec; default the shipped assets/scenes/vocabulary.json. */
  vocabulary?: string;
  /** Training scenes; default 40,000. */
  count?: number;
  /** Scenes in each held-out split (val and the three tests); default count / 40, within 10..1,000. */
  evalCount?: number;
  seed?: number;
  /**
   * Probability that a cooccur partner is added to a scene holding its mate (default 0.65: the
   * partner is then in about 3 of 4 such scenes); 0 trains without the bias.
   */
  cooccur?: number;
  /** Object pairs that never share a training scene; default 6. */
  heldOutPairs?: number;
  /** The art style kept out of training; default "twitter" (Twemoji). */
  heldOutStyle?: string;
  /** Emoji styles to train on; default every emoji style that draws all the objects, but the held-out one. */
  styles?: readonly string[];
  /** Scenes rendered at once; default 4. */
  concurrency?: number;
  /** Install the emoji packages when missing (default true); tests pass false. */
  install?: boolean;
  onProgress?: (progress: SceneBuildProgress) => void;
  log?: (line: string) => void;
}

export interface SceneBuildProgress {
  split: SceneSplit;
  /** Images rendered so far, over all splits. */
  done: number;
  total: number;
}

export interface SplitSummary {
  role: string;
  scenes: number;
  styles: readonly string[];
  /** Measured on the split's own scenes. */
  cooccur: CooccurReport;
}

export interface SceneBuildSummary {
  seed: number;
  cooccurOption: number;
  heldOutStyle: string;
  trainingStyles: string[];
  /** Emoji styles left out because they lack some objects. */
  incompleteStyles: Record<string, string[]>;
  heldOutPairs: [string, string][];
  splits: Record<SceneSplit, SplitSummary>;
  /** Training conversation turns by question kind, and the share of yes among yes/no answers. */
  instruct: { records: number; turns: number; shortRecords: number; yesShare: number; countAnswers: Record<string, number> };
  /** Evaluation questions by split and kind, and their yes share. */
  evaluation: Record<string, { questions: Record<string, number>; yesShare: number; pope: number }>;
  files: string[];
}

export const DEFAULT_SCENE_COUNT = 40000;

export function defaultEvalCount(count: number): number {
  return Math.min(1000, Math.max(10, Math.round(count / 40)));
}

function jsonl(lines: readonly unknown[]): string {
  return lines.map((l) => JSON.stringify(l)).join("\n") + (lines.length > 0 ? "\n" : "");
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new ArgumentError(message);
}

/** Share of "yes" among the yes/no answers of `answers` (NaN when there are none). */
function yesShare(answers: Iterable<string>): number {
  let yes = 0;
  let total = 0;
  for (const a of answers) {
    const v = a.toLowerCase();
    if (v === "yes" || v === "no") {
      total++;
      if (v === "yes") yes++;
    }
  }
  return total > 0 ? Math.round((yes / total) * 1000) / 1000 : NaN;
}

/**
 * Builds the synthetic scene data: renders every scene, then writes its ground truth, LLaVA's
 * stage-1 and stage-2 training JSON, a CLIP manifest, and per held-out split the evaluation
 * questions and answers, POPE files and CHAIR annotations. The same options give
 * byte-identical files.
 *
 * @example
 * const summary = await buildScenes({ out: "data/scenes", count: 40000, seed: 0 });
 * summary.splits.train.cooccur.mean; // ~0.75: a cooccur object's partner is usually there
 */
export async function buildScenes(options: SceneBuildOptions = {}): Promise<SceneBuildSummary> {
  const out = options.out ?? "data/scenes";
  const packagesDir = options.packagesDir ?? "data/packages";
  const count = options.count ?? DEFAULT_SCENE_COUNT;
  const evalCount = options.evalCount ?? defaultEvalCount(count);
  const seed = options.seed ?? 0;
  const cooccur = options.cooccur ?? 0.65;
  const heldOutStyle = options.heldOutStyle ?? "twitter";
  const log = options.log ?? (() => undefined);
  check(Number.isInteger(count) && count > 0, `count must be a positive integer, got ${count}`);
  check(Number.isInteger(evalCount) && evalCount > 0, `evalCount must be a positive integer, got ${evalCount}`);
  check(cooccur >= 0 && cooccur <= 1, `cooccur must be a probability in [0, 1], got ${cooccur}`);
  const emojiStyles = STYLES.filter((s) => s.domain === "emoji").map((s) => s.id);
  for (const style of [heldOutStyle, ...(options.styles ?? [])]) {
    check(emojiStyles.includes(style), `unknown emoji style "${style}"; emoji styles are ${emojiStyles.join(", ")}`);
  }
  check(!options.styles?.includes(heldOutStyle), `the held-out style "${heldOutStyle}" cannot also be a training style`);
  const vocabFile = options.vocabulary ?? defaultVocabularyPath();
  const vocab = loadVocabulary(vocabFile);
  if (options.install ?? true) installPackages(packagesDir, log);
  if (!existsSync(join(packagesDir, "node_modules", "emojibase-data"))) {
    throw new NotFoundError(`no emoji packages in ${packagesDir}: run \`vlm data build icons\` (it installs them) or pass --packages`);
  }
  let started = Date.now();
  const sprites = await loadSprites(packagesDir, vocab, options.styles ? [heldOutStyle, ...options.styles] : undefined);
  log(`drew the ${vocab.objects.length} objects in ${sprites.styles.size} styles in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const missing = Object.entries(sprites.incomplete).filter(([style]) => style === heldOutStyle || options.styles?.includes(style));
  check(missing.length === 0, `styles without some objects: ${missing.map(([style, names]) => `${style} (${names.join(", ")})`).join("; ")}`);
  const trainingStyles = [...sprites.styles.keys()].filter((s) => s !== heldOutStyle);
  check(trainingStyles.length > 0, "no training style draws every object");
  const heldOutPairs = chooseHeldOutPairs(vocab, options.heldOutPairs ?? 6, seed);
  const plans = planSplits({ count, evalCount, cooccur, heldOutPairs, trainingStyles, heldOutStyle });

  started = Date.now();
  const sampled = new Map(plans.map((p) => [p.split, Array.from({ length: p.count }, (_, i) => sampleScene(vocab, p, i, seed))]));
  await renderAll(out, plans, sampled, sprites.styles, vocab.image_size[0], options);
  const seconds = (Date.now() - started) / 1000;
  const total = plans.reduce((n, p) => n + p.count, 0);
  log(`sampled and rendered ${total} scenes in ${seconds.toFixed(1)} s (${(total / seconds).toFixed(0)} scenes/s)`);
  const scenesOf = (split: SceneSplit): Scene[] => sampled.get(split)!.map((s) => s.scene);

  const files: Record<string, string> = {};
  files["scenes.jsonl"] = jsonl(plans.flatMap((p) => scenesOf(p.split)));
  const train = scenesOf("train");
  const val = scenesOf("val");
  const recordsOf = (scenes: Scene[], make: (g: Generator, scene: Scene) => LlavaRecord, purpose: number): LlavaRecord[] =>
    scenes.map((scene, i) => make(new Generator(sceneSeed(seed, scene.split as SceneSplit, i, purpose)), scene));
  const pretrain = (g: Generator, s: Scene): LlavaRecord => pretrainRecord(g, s, vocab);
  const instruct = (g: Generator, s: Scene): LlavaRecord => instructRecord(g, s, vocab, TRAIN_PHRASINGS);
  const instructTrain = recordsOf(train, instruct, PURPOSE.instruct);
  files["pretrain.json"] = recordsJson(recordsOf(train, pretrain, PURPOSE.pretrain));
  files["instruct.json"] = recordsJson(instructTrain);
  files["pretrain_val.json"] = recordsJson(recordsOf(val, pretrain, PURPOSE.pretrain));
  files["instruct_val.json"] = recordsJson(recordsOf(val, instruct, PURPOSE.instruct));
  files["clip_manifest.jsonl"] = jsonl(plans.flatMap((p) => scenesOf(p.split).map((s) => ({ image: `images/${s.image}`, caption: captions(vocab, s), split: s.split }))));

  const trainStats = objectStats(train);
  const evaluation: SceneBuildSummary["evaluation"] = {};
  for (const plan of plans.filter((p) => p.split !== "train" && p.count > 0)) {
    const written = evaluationFiles(plan, scenesOf(plan.split), vocab, seed, trainStats);
    Object.assign(files, written.files);
    evaluation[plan.split] = written.report;
  }
  files["eval/chair_synonyms.txt"] = synonymsText(chairSynonyms(vocab));

  const summary: SceneBuildSummary = {
    seed,
    cooccurOption: cooccur,
    heldOutStyle,
    trainingStyles,
    incompleteStyles: sprites.incomplete,
    heldOutPairs,
    splits: Object.fromEntries(
      plans.map((p) => [p.split, { role: SPLIT_ROLES[p.split], scenes: p.count, styles: p.styles, cooccur: cooccurReport(objectStats(scenesOf(p.split)), vocab) }]),
    ) as Record<SceneSplit, SplitSummary>,
    instruct: instructSummary(instructTrain, vocab),
    evaluation,
    files: [],
  };
  summary.files = ["images/", "vocabulary.json", ...Object.keys(files), "summary.json", "README.md"];
  // Evaluation files of an earlier build with other splits or names would otherwise linger.
  await rm(join(out, "eval"), { recursive: true, force: true });
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(out, name, ".."), { recursive: true });
    await writeFile(join(out, name), text);
  }
  // Read and written rather than copied: a copy would keep a read-only source's mode and fail the next build.
  await writeFile(join(out, "vocabulary.json"), await readFile(vocabFile));
  await writeFile(join(out, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  await writeFile(join(out, "README.md"), readme(summary));
  return summary;
}

/**
 * The evaluation files of one held-out split: its questions and answers, the three POPE sets
 * (negatives ranked by the training data's statistics) and the CHAIR annotations.
 */
function evaluationFiles(plan: SplitPlan, scenes: readonly Scene[], vocab: SceneVocabulary, seed: number, trainStats: ObjectStats): { files: Record<string, string>; report: SceneBuildSummary["evaluation"][string] } {
  const dir = `eval/${plan.split}`;
  const files: Record<string, string> = {};
  const lines = scenes.flatMap((scene, i) => {
    const g = new Generator(sceneSeed(seed, plan.split, i, PURPOSE.eval));
    const focus = plan.required.length > 0 ? plan.required[i % plan.required.length] : [];
    return vqaLines(scene, evalQuestions(g, scene, vocab, TEST_PHRASINGS, focus), vocab.answer_suffix);
  });
  files[`${dir}/questions.jsonl`] = jsonl(lines.map((l) => l.question));
  // The describe questions alone: what CHAIR scores (the other answers are not captions).
  files[`${dir}/chair_questions.jsonl`] = jsonl(lines.filter((l) => l.question.category === "describe").map((l) => l.question));
  files[`${dir}/answers.jsonl`] = jsonl(lines.map((l) => l.answer));
  let pope = 0;
  const popeForLoader = POPE_SAMPLINGS.flatMap((sampling) => {
    // One stream per scene for all three samplings: they ask about the same present objects, as POPE does.
    const questions = scenes.flatMap((scene, i) => popeQuestions(new Generator(sceneSeed(seed, plan.split, i, PURPOSE.pope)), scene, vocab, trainStats, sampling));
    // POPE's label files, one per sampling, named so that a scorer reading the folder takes the
    // file name as the sampling (the "category" of pope_questions.jsonl).
    files[`${dir}/pope/${sampling}.jsonl`] = jsonl(questions);
    pope += questions.length;
    return questions.map((q) => ({ question_id: q.question_id, image: q.image, text: `${q.text}\n${vocab.answer_suffix}`, category: sampling }));
  });
  files[`${dir}/pope_questions.jsonl`] = jsonl(popeForLoader);
  files[`${dir}/chair.jsonl`] = jsonl(scenes.map(chairAnnotation));
  const kinds: Record<string, number> = {};
  for (const l of lines) kinds[l.answer.kind] = (kinds[l.answer.kind] ?? 0) + 1;
  return { files, report: { questions: kinds, yesShare: yesShare(lines.map((l) => l.answer.answer)), pope } };
}

async function renderAll(
  out: string,
  plans: readonly SplitPlan[],
  sampled: ReadonlyMap<SceneSplit, SampledScene[]>,
  sprites: Awaited<ReturnType<typeof loadSprites>>["styles"],
  size: number,
  options: SceneBuildOptions,
): Promise<void> {
  for (const plan of plans) {
    // Only this build's own folders are cleared: a smaller rebuild leaves no stale images behind.
    await rm(join(out, "images", plan.split), { recursive: true, force: true });
    await mkdir(join(out, "images", plan.split), { recursive: true });
  }
  const all = plans.flatMap((p) => sampled.get(p.split)!);
  let done = 0;
  await mapLimit(all, options.concurrency ?? 4, async ({ scene, drawings }) => {
    const png = await renderScene(scene.background, drawings, sprites.get(scene.style)!, size);
    await writeFile(join(out, "images", scene.image), png);
    options.onProgress?.({ split: scene.split as SceneSplit, done: ++done, total: all.length });
  });
}

function instructSummary(records: readonly LlavaRecord[], vocab: SceneVocabulary): SceneBuildSummary["instruct"] {
  const answers = records.flatMap((r) => r.conversations.filter((t) => t.from === "gpt").map((t) => t.value));
  const shortRecords = records.filter((r) => r.conversations[0].value.endsWith(vocab.answer_suffix)).length;
  const countAnswers: Record<string, number> = {};
  for (const a of answers) if (/^\d$/.test(a)) countAnswers[a] = (countAnswers[a] ?? 0) + 1;
  return { records: records.length, turns: answers.length, shortRecords, yesShare: yesShare(answers.map((a) => a.split(",")[0])), countAnswers };
}

function readme(s: SceneBuildSummary): string {
  const rows = Object.entries(s.splits).map(([split, x]) => `| ${split} | ${x.scenes} | ${x.role} | ${x.cooccur.mean} | ${x.cooccur.otherPairsMean} |`);
  return `# Synthetic scenes

Built by \`vlm data build scenes\` (vlmkit, src/data/scenes), seed ${s.seed}. 256 x 256 PNGs under
\`images/<split>/\`; every JSON file names images relative to \`images/\` (LLaVA's \`--image_folder\`),
except \`clip_manifest.jsonl\`, whose paths are relative to this folder.

| split | scenes | what | partner present (cooccur pairs) | same, other pairs |
| --- | --- | --- | --- | --- |
${rows.join("\n")}

Training styles: ${s.trainingStyles.join(", ")}. Held-out style: ${s.heldOutStyle}.
Object pairs never together in training: ${s.heldOutPairs.map((p) => p.join(" + ")).join(", ")}.

- \`scenes.jsonl\`: ground truth, one scene a line (id, split, image, style, background, items with
  kind, name, color, rgb, box [x0, y0, x1, y1], rotation).
- \`pretrain.json\` / \`pretrain_val.json\`: stage 1, LLaVA-Pretrain's format (captions).
- \`instruct.json\` / \`instruct_val.json\`: stage 2, llava_v1_5_mix665k's format (conversations).
- \`clip_manifest.jsonl\`: {image, caption: [...], split} for \`vlm train clip\`.
- \`eval/<split>/\`: \`questions.jsonl\` (model_vqa_loader), \`answers.jsonl\`, \`pope/{random,popular,adversarial}.jsonl\`
  (POPE's format), \`pope_questions.jsonl\` (the same for model_vqa_loader), \`chair_questions.jsonl\` and
  \`chair.jsonl\` (CHAIR); \`eval/chair_synonyms.txt\`.

Emoji art: see the licences in \`data/icons/README.md\` (the same packages); Twemoji is CC BY 4.0.
`;
}
