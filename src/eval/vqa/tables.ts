/**
 * The benchmark reports as terminal tables. Percentages have two decimals, as the official
 * scripts print them (VQA's "Overall Accuracy is: 78.52").
 */
import { formatTable, percent } from "../table.js";
import type { ChairReport } from "./chair.js";
import type { ChartQaReport } from "./chartqa.js";
import type { DocVqaReport } from "./docvqa.js";
import type { GqaReport } from "./gqa.js";
import type { MultipleChoiceReport } from "./multiple-choice.js";
import type { PopeReport } from "./pope.js";
import type { Accuracy } from "./summary.js";
import type { TextVqaReport } from "./textvqa.js";
import type { VqaV2Report } from "./vqav2.js";

export type VqaBenchmarkReport =
  | VqaV2Report
  | TextVqaReport
  | GqaReport
  | PopeReport
  | ChairReport
  | DocVqaReport
  | ChartQaReport
  | MultipleChoiceReport;

const pct = (v: number) => percent(v, 2);

function groupRows(title: string, groups: Record<string, Accuracy>): Array<[string, string, number]> {
  return Object.entries(groups)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, g]) => [title ? `${title} ${name}` : name, pct(g.accuracy), g.count]);
}

function accuracyTable(metric: string, rows: Array<[string, string, number]>, notes: string[] = []): string {
  return [formatTable(["", metric, "questions"], rows), ...notes].join("\n");
}

function unmatched(n: number): string[] {
  return n > 0 ? [`(${n} answers are to questions the annotations do not have; left out)`] : [];
}

function popeTable(r: PopeReport): string {
  const row = (name: string, s: PopeReport["mean"], count: number | string) =>
    [name, count, pct(s.accuracy), pct(s.precision), pct(s.recall), pct(s.f1), pct(s.yesRatio)];
  return formatTable(
    ["split", "questions", "accuracy", "precision", "recall", "F1", "yes"],
    [...r.splits.map((s) => row(s.category, s, s.count)), ...(r.splits.length > 1 ? [row("mean", r.mean, "")] : [])],
  );
}

function chairTable(r: ChairReport): string {
  const table = formatTable(
    ["captions", "CHAIRs", "CHAIRi", "object mentions", "hallucinated", "captions with one"],
    [[r.captions, pct(r.chairS), pct(r.chairI), r.mentions, r.hallucinatedMentions, r.hallucinatedCaptions]],
  );
  const note = r.imagesWithoutObjects > 0 ? [`(${r.imagesWithoutObjects} images have no true objects listed: all their mentions count as hallucinated)`] : [];
  return [table, ...note].join("\n");
}

/** A report as a table for the terminal. */
export function formatVqaReport(r: VqaBenchmarkReport): string {
  switch (r.benchmark) {
    case "vqav2":
      return accuracyTable(
        "accuracy",
        [["overall", pct(r.accuracy), r.count], ...groupRows("answer type", r.perAnswerType)],
        unmatched(r.unmatchedAnswers),
      );
    case "textvqa":
      return accuracyTable("accuracy", [["overall", pct(r.accuracy), r.count]]);
    case "gqa":
      return accuracyTable("accuracy", [
        ["overall", pct(r.accuracy), r.count],
        ["binary", pct(r.binary.accuracy), r.binary.count],
        ["open", pct(r.open.accuracy), r.open.count],
        ...groupRows("structural", r.perStructuralType),
        ...groupRows("semantic", r.perSemanticType),
      ]);
    case "pope":
      return popeTable(r);
    case "chair":
      return chairTable(r);
    case "docvqa":
      return accuracyTable("ANLS", [["overall", pct(r.anls), r.count], ...groupRows("", r.perGroup)], unmatched(r.unmatchedAnswers));
    case "chartqa":
      return accuracyTable("relaxed accuracy", [["overall", pct(r.accuracy), r.count], ...groupRows("", r.perGroup)], unmatched(r.unmatchedAnswers));
    case "mc": {
      const guesses = r.randomGuesses > 0 ? [`(${r.randomGuesses} answers named no option; one was drawn at random for each, as MMMU does)`] : [];
      return accuracyTable("accuracy", [["overall", pct(r.accuracy), r.count], ...groupRows("", r.perGroup)], [...guesses, ...unmatched(r.unmatchedAnswers)]);
    }
  }
}
