import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { VlmError } from "../../errors.js";
import { readJson } from "../../io/json.js";

/** A package the corpus is built from, pinned so every build sees the same art and labels. */
export interface CorpusPackage {
  name: string;
  version: string;
  /** SPDX id of what the corpus uses (the images or the labels), not of the package's code. */
  licence: string;
  /** The attribution text a model card trained on this corpus must carry. */
  attribution: string;
}

export const PACKAGES: readonly CorpusPackage[] = [
  {
    name: "emojibase-data",
    version: "17.0.0",
    licence: "MIT",
    attribution: "Emoji names, keywords and groups from Emojibase (emojibase.dev), MIT licence; CLDR annotations, Unicode licence.",
  },
  {
    name: "emoji-datasource-google",
    version: "16.0.0",
    licence: "Apache-2.0",
    attribution: "Noto Emoji by Google (github.com/googlefonts/noto-emoji), Apache License 2.0; packaged by emoji-datasource (iamcal), MIT.",
  },
  {
    name: "emoji-datasource-twitter",
    version: "16.0.0",
    licence: "CC-BY-4.0",
    attribution: "Twemoji graphics by Twitter, Inc. and other contributors (github.com/jdecked/twemoji), CC BY 4.0; packaged by emoji-datasource (iamcal), MIT.",
  },
  {
    name: "openmoji",
    version: "17.0.0",
    licence: "CC-BY-SA-4.0",
    attribution: "All emojis designed by OpenMoji (openmoji.org) – the open-source emoji and icon project. License: CC BY-SA 4.0.",
  },
  {
    name: "@iconify-json/fluent-emoji-flat",
    version: "1.2.6",
    licence: "MIT",
    attribution: "Fluent Emoji (flat) by Microsoft Corporation (github.com/microsoft/fluentui-emoji), MIT licence; via Iconify.",
  },
  {
    name: "@iconify-json/fluent-emoji",
    version: "1.2.7",
    licence: "MIT",
    attribution: "Fluent Emoji (color) by Microsoft Corporation (github.com/microsoft/fluentui-emoji), MIT licence; via Iconify.",
  },
  {
    name: "@iconify-json/noto-v1",
    version: "1.2.5",
    licence: "Apache-2.0",
    attribution: "Noto Emoji, an earlier design, by Google Inc. (github.com/googlefonts/noto-emoji), Apache License 2.0; via Iconify.",
  },
  {
    name: "@iconify-json/emojione",
    version: "1.2.3",
    licence: "CC-BY-4.0",
    attribution: "Emoji One (colored) artwork (github.com/EmojiTwo/emojitwo), CC BY 4.0; via Iconify.",
  },
  {
    name: "@iconify-json/emojione-v1",
    version: "1.2.3",
    licence: "CC-BY-SA-4.0",
    attribution: "Emoji artwork provided by EmojiOne (github.com/joypixels/emojione-legacy, version 1), CC BY-SA 4.0; via Iconify.",
  },
  {
    name: "@iconify-json/fluent-emoji-high-contrast",
    version: "1.2.6",
    licence: "MIT",
    attribution: "Fluent Emoji (high contrast) by Microsoft Corporation (github.com/microsoft/fluentui-emoji), MIT licence; via Iconify.",
  },
  {
    name: "@iconify-json/emojione-monotone",
    version: "1.2.1",
    licence: "CC-BY-4.0",
    attribution: "Emoji One (monotone) artwork (github.com/EmojiTwo/emojitwo), CC BY 4.0; via Iconify.",
  },
  {
    name: "@iconify-json/streamline-emojis",
    version: "1.2.4",
    licence: "CC-BY-4.0",
    attribution: "Streamline Emojis by Streamline (streamlinehq.com), CC BY 4.0; via Iconify.",
  },
  {
    name: "@fortawesome/fontawesome-free",
    version: "7.3.1",
    licence: "CC-BY-4.0",
    attribution: "Font Awesome Free by Fonticons, Inc. (fontawesome.com), icons under CC BY 4.0.",
  },
  {
    name: "lucide-static",
    version: "1.62.0",
    licence: "ISC",
    attribution: "Lucide icons (lucide.dev), ISC licence, © Lucide Contributors; icons derived from Feather © Cole Bemis, MIT.",
  },
];

/** Versions found under `<dir>/node_modules`, null where a package is absent. */
export function installedVersions(dir: string): Map<string, string | null> {
  const found = new Map<string, string | null>();
  for (const pkg of PACKAGES) {
    const file = join(dir, "node_modules", pkg.name, "package.json");
    found.set(pkg.name, existsSync(file) ? (readJson(file) as { version: string }).version : null);
  }
  return found;
}

/**
 * Installs the pinned packages into `dir` (git-ignored), never into the project: they are data,
 * not dependencies. Does nothing when every pinned version is already there.
 */
export function installPackages(dir: string, log: (line: string) => void): void {
  const versions = installedVersions(dir);
  const missing = PACKAGES.filter((p) => versions.get(p.name) !== p.version);
  if (missing.length === 0) return;
  log(`installing ${missing.map((p) => `${p.name}@${p.version}`).join(", ")} into ${dir}`);
  // --ignore-scripts: data packages have no business running code here.
  const result = spawnSync(
    process.platform === "win32" ? "npm.cmd" : "npm",
    ["install", "--prefix", dir, "--no-save", "--no-audit", "--no-fund", "--ignore-scripts", ...PACKAGES.map((p) => `${p.name}@${p.version}`)],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  if (result.status !== 0) {
    throw new VlmError("E_INSTALL", `npm install into ${dir} failed (exit ${result.status ?? result.signal}); the corpus needs the npm registry once`);
  }
}
