export { buildScenes, DEFAULT_SCENE_COUNT, defaultEvalCount, type SceneBuildOptions, type SceneBuildProgress, type SceneBuildSummary } from "./build.js";
export type { ChairAnnotation, VqaAnswer, VqaQuestion } from "./eval-files.js";
export type { LlavaRecord, Turn } from "./llava-records.js";
export { POPE_SAMPLINGS, type PopeQuestion, type PopeSampling } from "./pope.js";
export { QUESTION_KINDS, type QuestionKind, type QuestionSpec } from "./questions.js";
export type { Background, Box, Scene, SceneItem } from "./scene.js";
export { SCENE_SPLITS, type SceneSplit } from "./splits.js";
export { loadVocabulary, type SceneVocabulary } from "./vocabulary.js";
