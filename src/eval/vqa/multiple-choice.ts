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
import { type ReferenceScores, scoreAgainstReferences } from "./against-references.js";
import type { CoverageOptions } from "./pairs.js";
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

export interface MultipleChoiceOptions extends CoverageOptions {
  /** Seed of the guesses for unparseable answers (default MMMU's 42). */
  seed?: number;
}

export interface MultipleChoiceReport extends Omit<ReferenceScores<{ prediction: string; source: ChoiceSource }>, "mean"> {
  benchmark: "mc";
  accuracy: number;
  /** Answers no option could be read from, so one was drawn at random (as MMMU does). */
  randomGuesses: number;
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
  const random = new PythonRandom(options.seed ?? MMMU_SEED);
  const { mean: accuracy, ...scores } = scoreAgainstReferences(references, answers, options, (r, answer) => {
    const correct = correctLetters(r, optionLetters(r.options!.length));
    const { letter, source } = parseMultipleChoice(answer, r.options!, random);
    return { score: correct.includes(letter) ? 1 : 0, prediction: letter, source };
  });
  return { benchmark: "mc", accuracy, randomGuesses: scores.items.filter((i) => i.source === "random").length, ...scores };
}
