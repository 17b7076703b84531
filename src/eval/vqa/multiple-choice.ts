/**
 * Multiple-choice accuracy with MMMU's answer parser (eval_utils.parse_multi_choice_response,
 * also used for AI2D-style benchmarks): after trimming trailing punctuation the answer is
 * searched for "(A)"-style options, then for a bare " A " between spaces, then (for answers
 * longer than five words) for an option's text; several hits keep the one found last; no hit
 * picks an option at random from Python's generator seeded with 42, as MMMU's module does.
 */
import { DatasetError } from "../../errors.js";
import type { AnswerFile } from "./files/llava.js";
import type { Reference } from "./files/references.js";
import { pairWithAnswers } from "./pairs.js";
import { type Accuracy, accuracyBy, mean } from "./summary.js";
import { PythonRandom } from "./text/python-random.js";
import { pySplit, pyStrip } from "./text/python-str.js";

/** How an option was read out of an answer. */
export type ChoiceSource = "bracket" | "letter" | "content" | "random";

/** MMMU's seed for the guesses. */
export const MMMU_SEED = 42;

/** The option letters for n options: A, B, C, ... */
export function optionLetters(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String.fromCharCode(65 + i));
}

/** The last of several candidates: the one whose occurrence starts furthest right (the first such on ties). */
function lastFound(candidates: readonly string[], position: (candidate: string) => number): string {
  let best = candidates[0];
  let bestAt = position(best);
  for (const c of candidates.slice(1)) {
    const at = position(c);
    if (at > bestAt) [best, bestAt] = [c, at];
  }
  return best;
}

/**
 * The option letter an answer picks.
 *
 * @example
 * const random = new PythonRandom(42);
 * parseMultipleChoice("The answer is (B).", ["red", "blue"], random);              // { letter: "B", source: "bracket" }
 * parseMultipleChoice("I think it is blue because of the sky", ["red", "blue"], random);   // { letter: "B", source: "content" }
 */
export function parseMultipleChoice(answer: string, options: readonly string[], random: PythonRandom): { letter: string; source: ChoiceSource } {
  const letters = optionLetters(options.length);
  let response = answer;
  for (const mark of [",", ".", "!", "?", ";", ":", "'"]) response = pyStrip(response, mark);
  // Spaces around, so a letter at either end is still " A ".
  response = ` ${response} `;
  const bracketed = letters.filter((l) => response.includes(`(${l})`));
  if (bracketed.length > 0) {
    return { letter: lastFound(bracketed, (l) => response.lastIndexOf(`(${l})`)), source: "bracket" };
  }
  const bare = letters.filter((l) => response.includes(` ${l} `));
  if (bare.length > 0) return { letter: lastFound(bare, (l) => response.lastIndexOf(` ${l} `)), source: "letter" };
  if (pySplit(response).length > 5) {
    const lower = response.toLowerCase();
    const named = letters.filter((_, i) => lower.includes(options[i].toLowerCase()));
    if (named.length > 0) return { letter: lastFound(named, (l) => lower.lastIndexOf(options[letters.indexOf(l)].toLowerCase())), source: "content" };
  }
  return { letter: random.choice(letters), source: "random" };
}

export interface MultipleChoiceOptions {
  /** Score only the questions that have an answer (default: every one must). */
  onlyAnswered?: boolean;
  /** Seed of the guesses for unparseable answers (default MMMU's 42). */
  seed?: number;
}

export interface MultipleChoiceItem {
  question_id: string | number;
  answer: string;
  prediction: string;
  source: ChoiceSource;
  correct: boolean;
}

export interface MultipleChoiceReport {
  benchmark: "mc";
  accuracy: number;
  count: number;
  /** Answers no option could be read from, so one was drawn at random (as MMMU does). */
  randomGuesses: number;
  perGroup: Record<string, Accuracy>;
  unmatchedAnswers: number;
  items: MultipleChoiceItem[];
}

/** The correct letters of a reference: letters as written, numbers as 0-based option indices. */
function correctLetters(reference: Reference, letters: readonly string[]): string[] {
  return reference.answers.map((a) => {
    const letter = typeof a === "number" ? letters[a] : a;
    if (letter === undefined || !letters.includes(letter)) {
      throw new DatasetError(reference.source, `answer ${JSON.stringify(a)} is not one of the ${letters.length} options (${letters.join(", ")})`);
    }
    return letter;
  });
}

/**
 * Scores answers against references that list their options; answers are parsed in file
 * order, so the random guesses come out as MMMU's would for the same order.
 *
 * @example
 * const report = scoreMultipleChoice(readReferences("mmmu_val.jsonl"), { file, lines: readLlavaAnswers(file) });
 */
export function scoreMultipleChoice(references: readonly Reference[], answers: AnswerFile, options: MultipleChoiceOptions = {}): MultipleChoiceReport {
  for (const r of references) {
    if (!r.options || r.options.length === 0) throw new DatasetError(r.source, 'expected "options": the choices in order (A, B, ...)');
  }
  const { pairs, unmatchedAnswers } = pairWithAnswers(references, (r) => String(r.id), answers, options.onlyAnswered);
  const random = new PythonRandom(options.seed ?? MMMU_SEED);
  const items = pairs.map(({ item, answer }) => {
    const letters = optionLetters(item.options!.length);
    const correct = correctLetters(item, letters);
    const { letter, source } = parseMultipleChoice(answer.text, item.options!, random);
    return { reference: item, question_id: item.id, answer: answer.text, prediction: letter, source, correct: correct.includes(letter) };
  });
  const score = (i: (typeof items)[number]) => (i.correct ? 1 : 0);
  return {
    benchmark: "mc",
    accuracy: mean(items.map(score)),
    count: items.length,
    randomGuesses: items.filter((i) => i.source === "random").length,
    perGroup: accuracyBy(items.filter((i) => i.reference.group !== undefined), (i) => i.reference.group!, score),
    unmatchedAnswers,
    items: items.map(({ reference: _, ...item }) => item),
  };
}
