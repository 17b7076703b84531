export { buildIconCorpus, type IconCorpusOptions, type IconCorpusSummary, imagePaths, type ManifestEntry, summaryTable } from "./build.js";
export { article, caption, type CaptionInput } from "./captions.js";
export { type CorpusPackage, installPackages, PACKAGES } from "./packages.js";
export { openDrawing, renderPng } from "./render.js";
export {
  type CorpusItem,
  iconifySlug,
  type ImageSource,
  joinEmoji,
  normalizeHexcode,
  normalizeName,
  readCorpusSources,
  readEmojiArt,
  STYLES,
  type StyleInfo,
} from "./sources.js";
export { assignSplits, type Split, type SplitOptions, verifyHeldOutNames, words } from "./split.js";
