export { retrievalMetrics, summariseRanks, DEFAULT_KS, type RankSummary, type RetrievalResult } from "./retrieval.js";
export { classificationMetrics, type ClassAccuracy, type ClassificationResult } from "./classification.js";
export { formatTable, percent } from "./table.js";
export {
  collectEvalSet, embedEvalSet, zeroShotEval, retrievalEval, templateSensitivity, zeroShotFromEmbeds, retrievalFromEmbeds,
  DEFAULT_DOMAIN_TEMPLATE, type EvalSet, type EmbeddedEvalSet, type ZeroShotReport, type RetrievalReport, type TemplateRow,
} from "./run.js";
export { formatZeroShotTable, formatRetrievalTable, formatTemplateTable } from "./run-tables.js";
export * as vqa from "./vqa/index.js";
