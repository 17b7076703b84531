/**
 * `vlm eval vqa` (answer a LLaVA question file with a model) and `vlm eval score <benchmark>`
 * (score an answer file with the benchmark's official rules); `vlm eval pope` and
 * `vlm eval chair` are the same scorers under their own names.
 */
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { ArgumentError } from "../../errors.js";
import { formatDuration } from "../../io/hub/tty-progress.js";
import {
  type AnswerFile, ChairVocabulary, type QuestionFile, type VqaBenchmarkReport, type VqaProgress, answerQuestions, cocoImageObjects,
  formatVqaReport, listedImageObjects, readCocoCaptions, readCocoInstances, readGqaQuestions, readImageObjects, readLlavaAnswers,
  readLlavaQuestions, readPopeLabelSources, readReferences, readSynonyms, readTextVqaAnnotations, readVqaAnnotations, scoreChair,
  scoreChartQa, scoreDocVqa, scoreGqa, scoreMultipleChoice, scorePope, scoreTextVqa, scoreVqaV2,
} from "../../eval/vqa/index.js";
import { collect, nonNegativeInt, positiveInt } from "../options.js";
import { loadAsker } from "./ask.js";
import { writeJson } from "../json-output.js";

/**
 * The model `vlm eval vqa` uses without --model. None ships yet; when the scene model does,
 * return its folder here.
 */
function vqaModelOrDefault(source: string | undefined): string {
  if (source) return source;
  throw new ArgumentError("vlm eval vqa needs --model for now (no LLaVA model ships with vlmkit yet), e.g. --model llava-hf/llava-1.5-7b-hf or --model ./my-llava");
}

/** LLaVA's get_model_name_from_path: the last path part, or "run_checkpoint-N" for a checkpoint folder. */
export function modelIdOf(source: string): string {
  const parts = source.replace(/^\/+|\/+$/g, "").split("/");
  const last = parts[parts.length - 1];
  return last.startsWith("checkpoint-") && parts.length > 1 ? `${parts[parts.length - 2]}_${last}` : last;
}

/** A bar on a terminal; elsewhere (logs, CI) a line at every tenth of the way. */
function progressReporter(total: number): { update: (p: VqaProgress) => void; stop: () => void } {
  const stream = process.stderr;
  if (!stream.isTTY) {
    let reported = -1;
    return {
      update: (p) => {
        const tenth = Math.floor((10 * p.done) / p.total);
        if (tenth === reported) return;
        reported = tenth;
        stream.write(`answered ${p.done}/${p.total} (${p.questionsPerSecond.toFixed(2)} questions/s, ETA ${formatDuration((p.total - p.done) / p.questionsPerSecond)})\n`);
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { stream, format: "answering |{bar}| {value}/{total} | {qps} questions/s | ETA {eta_formatted}", hideCursor: true, etaBuffer: 20, barsize: 24 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (p) => {
      if (!started) {
        bar.start(total, p.done, { qps: "-" });
        started = true;
      }
      bar.update(p.done, { qps: p.questionsPerSecond.toFixed(2) });
    },
    stop: () => bar.stop(),
  };
}

interface VqaFlags {
  questions: string;
  imageFolder: string;
  out: string;
  model?: string;
  batchSize: number;
  maxNewTokens: number;
  limit?: number;
  resume?: boolean;
  overwrite?: boolean;
  padToSquare?: boolean;
  json?: string;
}

function registerAnswering(evalCmd: Command): void {
  evalCmd
    .command("vqa")
    .description("answer a LLaVA question file with a LLaVA model (greedy, batched), writing LLaVA's answer file")
    .requiredOption("-q, --questions <file>", 'JSON Lines of {"question_id", "image", "text", ...} (LLaVA\'s question files)')
    .requiredOption("--image-folder <dir>", "the folder the questions' image names are relative to")
    .requiredOption("-o, --out <file>", "the answer file to write (JSON Lines; appended batch by batch)")
    .option("-m, --model <source>", "LLaVA Hub id or model folder (required for now: none ships)")
    .option("--batch-size <n>", "questions per forward pass (answers equal one-at-a-time ones)", positiveInt("--batch-size"), 4)
    .option("--max-new-tokens <n>", "answer length limit in tokens (LLaVA's default)", positiveInt("--max-new-tokens"), 128)
    .option("--limit <n>", "answer only the first N questions", positiveInt("--limit"))
    .option("--resume", "keep the answers already in --out and answer the remaining questions")
    .option("--overwrite", "replace an --out that already has answers")
    .option("--pad-to-square", "pad images to a square instead of cropping (the original LLaVA's image_aspect_ratio pad)")
    .option("--json <file>", "also write the run's numbers (questions, seconds, questions/s) as JSON")
    .addHelpText("after", `
The prompt is "<image>\\n{question}" in the model's chat template (LLaVA-1.5's), decoding is
greedy, and each answer line is {"question_id", "prompt", "text", "answer_id", "model_id",
"metadata"}, in question order, as LLaVA's model_vqa_loader.py writes them.

Examples:
  vlm eval vqa --questions llava_pope_test.jsonl --image-folder coco/val2014 --out answers/pope.jsonl --model llava-hf/llava-1.5-7b-hf
  vlm eval vqa --questions q.jsonl --image-folder images --out a.jsonl --model ./my-llava --batch-size 8 --resume`)
    .action(async (flags: VqaFlags) => {
      if (flags.resume && flags.overwrite) throw new ArgumentError("--resume and --overwrite contradict each other: keep the answers, or replace them");
      const source = vqaModelOrDefault(flags.model);
      const read = readLlavaQuestions(flags.questions);
      const questions: QuestionFile = { file: flags.questions, lines: flags.limit ? read.slice(0, flags.limit) : read };
      const vqa = await loadAsker(source, flags.padToSquare);
      const progress = progressReporter(questions.lines.length);
      let report;
      try {
        report = await answerQuestions(vqa, questions, {
          imageFolder: flags.imageFolder,
          out: flags.out,
          modelId: modelIdOf(source),
          batchSize: flags.batchSize,
          maxNewTokens: flags.maxNewTokens,
          resume: flags.resume,
          overwrite: flags.overwrite,
          onProgress: progress.update,
        });
      } finally {
        progress.stop();
      }
      const resumed = report.resumed ? ` (${report.resumed} were already there)` : "";
      console.log(`${report.answered} questions answered in ${report.seconds.toFixed(1)} s, ${report.questionsPerSecond.toFixed(2)} questions/s${resumed} -> ${report.out}`);
      writeJson(flags.json, report);
    });
}

interface ScoreFlags {
  answers: string;
  /** One file; POPE's is repeatable (label files or folders). */
  annotations?: string | string[];
  questions?: string;
  onlyAnswered?: boolean;
  rawAnswers?: boolean;
  seed?: number;
  synonyms?: string;
  instances?: string;
  captions?: string;
  objects?: string;
  json?: string;
}

/** The annotation file of the benchmarks that take one (commander has required it). */
function annotationFile(flags: ScoreFlags): string {
  return [flags.annotations ?? []].flat()[0];
}

function answerFile(flags: ScoreFlags): AnswerFile {
  return { file: flags.answers, lines: readLlavaAnswers(flags.answers) };
}

function questionFile(flags: ScoreFlags): QuestionFile {
  return { file: flags.questions!, lines: readLlavaQuestions(flags.questions!) };
}

interface Benchmark {
  name: string;
  description: string;
  configure: (cmd: Command) => Command;
  score: (flags: ScoreFlags) => VqaBenchmarkReport;
  example: string;
}

const annotations = (what: string) => (cmd: Command) => cmd.requiredOption("--annotations <file>", what);
const onlyAnswered = (cmd: Command) => cmd.option("--only-answered", "score only the annotated questions that have an answer (default: all must)");
const questionsOption = (cmd: Command) => cmd.requiredOption("-q, --questions <file>", "the LLaVA question file the answers are to");

const BENCHMARKS: Benchmark[] = [
  {
    name: "vqav2",
    description: "VQAv2 accuracy: vqaEval.py's normalisation, min(#humans / 3, 1) over the 10 leave-one-out subsets",
    configure: (cmd) =>
      onlyAnswered(annotations("VQA annotations, e.g. v2_mscoco_val2014_annotations.json")(cmd))
        .option("--raw-answers", "score the answers as written, without the EvalAI processing LLaVA applies before submitting"),
    score: (f) => scoreVqaV2(readVqaAnnotations(annotationFile(f)), answerFile(f), { onlyAnswered: f.onlyAnswered, answerProcessor: f.rawAnswers ? "none" : "llava" }),
    example: "vlm eval score vqav2 --answers answers.jsonl --annotations v2_mscoco_val2014_annotations.json",
  },
  {
    name: "textvqa",
    description: "TextVQA accuracy as LLaVA's eval_textvqa.py scores it (EvalAI processing, VQA accuracy)",
    configure: annotations("TextVQA annotations, e.g. TextVQA_0.5.1_val.json"),
    score: (f) => scoreTextVqa(readTextVqaAnnotations(annotationFile(f)), answerFile(f)),
    example: "vlm eval score textvqa --answers answers.jsonl --annotations TextVQA_0.5.1_val.json",
  },
  {
    name: "gqa",
    description: "GQA accuracy: exact match over the balanced questions, as LLaVA's eval_gqa.py",
    configure: (cmd) => onlyAnswered(annotations("GQA questions with answers, e.g. testdev_balanced_questions.json")(cmd)),
    score: (f) => scoreGqa(readGqaQuestions(annotationFile(f)), answerFile(f), { onlyAnswered: f.onlyAnswered }),
    example: "vlm eval score gqa --answers answers.jsonl --annotations testdev_balanced_questions.json",
  },
  {
    name: "pope",
    description: "POPE: yes/no parsed as LLaVA's eval_pope.py; accuracy, precision, recall, F1, yes-ratio per split",
    configure: (cmd) =>
      questionsOption(cmd).requiredOption(
        "--annotations <file|dir>",
        "POPE label files (coco_pope_random.json, ...) or a folder of them; repeatable",
        collect,
      ),
    score: (f) => scorePope(questionFile(f), answerFile(f), readPopeLabelSources([f.annotations ?? []].flat())),
    example: "vlm eval pope --answers answers.jsonl --questions llava_pope_test.jsonl --annotations coco/",
  },
  {
    name: "chair",
    description: "CHAIR object hallucination: CHAIRi and CHAIRs over captions, with a synonyms file",
    configure: (cmd) =>
      questionsOption(cmd)
        .requiredOption("--synonyms <file>", "one object per line: its name, then its other words, separated by \", \" (CHAIR's synonyms.txt)")
        .option("--instances <file>", "COCO instances_*.json: the images' object categories")
        .option("--captions <file>", "COCO captions_*.json: the object words of the human captions count as present too")
        .option("--objects <file>", 'JSON Lines of {"image" or "image_id", "objects": [...]}, instead of COCO files'),
    score: (f) => {
      const vocabulary = new ChairVocabulary(readSynonyms(f.synonyms!));
      if (!f.objects && !f.instances && !f.captions) throw new ArgumentError("vlm eval chair needs the true objects: --instances (and --captions) COCO files, or --objects");
      if (f.objects && (f.instances || f.captions)) throw new ArgumentError("give the true objects either as COCO files (--instances, --captions) or as --objects, not both");
      const truth = f.objects
        ? listedImageObjects(vocabulary, { file: f.objects, lines: readImageObjects(f.objects) })
        : cocoImageObjects(vocabulary, f.instances ? readCocoInstances(f.instances) : null, f.captions ? readCocoCaptions(f.captions) : null, f.instances ?? f.captions!);
      return scoreChair(vocabulary, truth, questionFile(f), answerFile(f));
    },
    example: "vlm eval chair --answers captions.jsonl --questions questions.jsonl --synonyms synonyms.txt --instances instances_val2014.json --captions captions_val2014.json",
  },
  {
    name: "docvqa",
    description: "DocVQA ANLS (threshold 0.5)",
    configure: (cmd) => onlyAnswered(annotations("reference answers, e.g. DocVQA's val_v1.0.json ({data: [{questionId, answers}]}) or JSON Lines")(cmd)),
    score: (f) => scoreDocVqa(readReferences(annotationFile(f)), answerFile(f), { onlyAnswered: f.onlyAnswered }),
    example: "vlm eval score docvqa --answers answers.jsonl --annotations val_v1.0.json",
  },
  {
    name: "chartqa",
    description: "ChartQA relaxed accuracy: numbers within 5%, other answers exact (case aside)",
    configure: (cmd) => onlyAnswered(annotations('reference answers: JSON Lines of {"question_id", "label" (or "answer"), "split"?}')(cmd)),
    score: (f) => scoreChartQa(readReferences(annotationFile(f)), answerFile(f), { onlyAnswered: f.onlyAnswered }),
    example: "vlm eval score chartqa --answers answers.jsonl --annotations chartqa_test.jsonl",
  },
  {
    name: "mc",
    description: "multiple choice (MMMU, AI2D): the option letter parsed out of the answer as MMMU's parse_multi_choice_response",
    configure: (cmd) =>
      onlyAnswered(annotations('reference answers: JSON Lines of {"question_id", "options": [...], "answer": "B"}')(cmd))
        .option("--seed <n>", "seed of the random pick for answers naming no option (MMMU's is 42)", nonNegativeInt("--seed")),
    score: (f) => scoreMultipleChoice(readReferences(annotationFile(f)), answerFile(f), { onlyAnswered: f.onlyAnswered, seed: f.seed }),
    example: "vlm eval score mc --answers answers.jsonl --annotations mmmu_val.jsonl",
  },
];

function addScorer(parent: Command, benchmark: Benchmark): void {
  benchmark
    .configure(
      parent
        .command(benchmark.name)
        .description(benchmark.description)
        .requiredOption("-a, --answers <file>", "LLaVA answer file (JSON Lines of {question_id, text, ...}), e.g. from vlm eval vqa"),
    )
    .option("--json <file>", "also write the full report (every question's score) as JSON")
    .addHelpText("after", `\nExample:\n  ${benchmark.example}`)
    .action((flags: ScoreFlags) => {
      const report = benchmark.score(flags);
      console.log(formatVqaReport(report));
      writeJson(flags.json, report);
    });
}

export function registerVqaEval(evalCmd: Command): void {
  registerAnswering(evalCmd);
  const score = evalCmd.command("score").description("score a LLaVA answer file with a benchmark's official rules");
  for (const b of BENCHMARKS) addScorer(score, b);
  for (const name of ["pope", "chair"]) addScorer(evalCmd, BENCHMARKS.find((b) => b.name === name)!);
}
