import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import { ArgumentError, NotFoundError } from "../errors.js";
import type { ImageTextSample, ShardedDataset, SkippedSample } from "./dataset.js";

/** Image members in the order one is preferred when a sample has several. */
const IMAGE_EXTENSIONS = ["jpg", "jpeg", "png", "webp"];
const SHARD_PATTERN = /\.(tar|tar\.gz|tgz)$/i;

/**
 * Expands WebDataset's brace notation: `shard-{000..009}.tar` (zero-padded to the width of the
 * bounds) and `{train,val}.tar`, nested or several per pattern.
 *
 * @example
 * expandBraces("cc3m-{00..02}.tar"); // ["cc3m-00.tar", "cc3m-01.tar", "cc3m-02.tar"]
 */
export function expandBraces(pattern: string): string[] {
  const match = /\{([^{}]*)\}/.exec(pattern);
  if (!match) return [pattern];
  const head = pattern.slice(0, match.index);
  const tail = pattern.slice(match.index + match[0].length);
  const range = /^(\d+)\.\.(\d+)$/.exec(match[1]);
  let parts: string[];
  if (range) {
    const [from, to] = [Number(range[1]), Number(range[2])];
    if (to < from) throw new ArgumentError(`expandBraces: empty range {${match[1]}} in ${pattern}`);
    const width = range[1].length;
    parts = Array.from({ length: to - from + 1 }, (_, i) => String(from + i).padStart(width, "0"));
  } else {
    parts = match[1].split(",");
  }
  return parts.flatMap((p) => expandBraces(head + p + tail));
}

/** Splits a member name as WebDataset does: the key is everything up to the first dot of the basename. */
export function splitMemberName(name: string): { key: string; ext: string } | null {
  const m = /^((?:.*\/|)[^./]+)\.([^/]*)$/.exec(name);
  return m ? { key: m[1], ext: m[2].toLowerCase() } : null;
}

export class WebDataset implements ShardedDataset {
  readonly kind = "sharded";
  readonly shards: readonly string[];

  constructor(shards: readonly string[]) {
    this.shards = shards;
  }

  async *readShard(shard: number): AsyncGenerator<ImageTextSample | SkippedSample> {
    const file = this.shards[shard];
    const raw = createReadStream(file);
    const input: Readable = /\.(tar\.gz|tgz)$/i.test(file) ? raw.pipe(createGunzip()) : raw;
    raw.on("error", (err) => input.destroy(err));
    const tar = extract();
    // pipe() does not forward errors: a missing or unreadable file must end the shard too.
    input.on("error", (err) => tar.destroy(err));
    input.pipe(tar);
    let group: { key: string; members: Map<string, Buffer> } | null = null;
    try {
      for await (const entry of tar) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        if (entry.header.type !== "file") continue;
        const parts = splitMemberName(entry.header.name);
        if (!parts) continue;
        if (group && group.key !== parts.key) {
          yield toSample(file, group.key, group.members);
          group = null;
        }
        group ??= { key: parts.key, members: new Map() };
        group.members.set(parts.ext, Buffer.concat(chunks));
      }
      if (group) yield toSample(file, group.key, group.members);
    } catch (err) {
      // A damaged shard costs its remaining samples, not the run.
      yield { key: file, reason: "bad-shard", message: `${file}: ${(err as Error).message}` };
    } finally {
      raw.destroy();
      input.destroy();
      tar.destroy();
    }
  }
}

function toSample(shard: string, key: string, members: Map<string, Buffer>): ImageTextSample | SkippedSample {
  const imageExt = IMAGE_EXTENSIONS.find((e) => members.has(e));
  if (!imageExt) return { key, reason: "no-image", message: `${shard}: ${key} has no ${IMAGE_EXTENSIONS.join("/")} member` };
  let caption: string | undefined;
  const txt = members.get("txt");
  const json = members.get("json");
  if (txt) caption = txt.toString("utf8").trim();
  else if (json) {
    try {
      const parsed = JSON.parse(json.toString("utf8")) as Record<string, unknown>;
      const value = parsed?.caption ?? parsed?.text;
      if (typeof value === "string") caption = value.trim();
    } catch {
      return { key, reason: "no-caption", message: `${shard}: ${key}.json is not valid JSON` };
    }
  }
  if (!caption) return { key, reason: "no-caption", message: `${shard}: ${key} has no caption (.txt, or .json with "caption"/"text")` };
  return { key, image: members.get(imageExt)!, caption };
}

/**
 * Opens WebDataset shards: a tar file, a list of them, a brace pattern
 * (`shards/{000000..000099}.tar`) or a folder (every .tar / .tar.gz in it, sorted). Members are
 * grouped by key (`000123.jpg` + `000123.txt`); the caption is the `.txt` member or the
 * `caption`/`text` field of the `.json` member. Shards are streamed, never read whole.
 *
 * @example
 * const ds = await openWebDataset("data/shards/{00000..00009}.tar");
 */
export async function openWebDataset(source: string | readonly string[]): Promise<WebDataset> {
  const patterns = typeof source === "string" ? [source] : source;
  const shards: string[] = [];
  for (const pattern of patterns) {
    for (const path of expandBraces(pattern)) {
      const info = await stat(path).catch(() => null);
      if (!info) throw new NotFoundError(`shard not found: ${path}`);
      if (info.isDirectory()) {
        const inFolder = (await readdir(path)).filter((n) => SHARD_PATTERN.test(n)).sort();
        if (inFolder.length === 0) throw new NotFoundError(`no .tar shards in ${path}`);
        shards.push(...inFolder.map((n) => join(path, n)));
      } else {
        shards.push(path);
      }
    }
  }
  if (shards.length === 0) throw new ArgumentError("openWebDataset: no shards given");
  return new WebDataset(shards);
}
