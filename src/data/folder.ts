import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join, relative } from "node:path";
import { NotFoundError } from "../errors.js";
import type { ImageTextSample, IndexedDataset, SkippedSample } from "./dataset.js";

export const IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif", ".tif", ".tiff", ".bmp"];

/**
 * Images with a sidecar caption file of the same stem (`cat.jpg` + `cat.txt`), anywhere under
 * a folder. Captions are read when a sample is asked for, so opening a large folder reads
 * only directory listings.
 */
export class ImageFolderDataset implements IndexedDataset {
  readonly kind = "indexed";
  readonly root: string;
  /** Images found without a sidecar caption, left out of the dataset (relative paths). */
  readonly uncaptioned: readonly string[];
  private readonly images: readonly string[];

  constructor(root: string, images: readonly string[], uncaptioned: readonly string[]) {
    this.root = root;
    this.images = images;
    this.uncaptioned = uncaptioned;
  }

  get size(): number {
    return this.images.length;
  }

  async get(index: number): Promise<ImageTextSample | SkippedSample> {
    const key = this.images[index];
    const image = join(this.root, key);
    const sidecar = image.slice(0, image.length - extname(image).length) + ".txt";
    let caption: string;
    try {
      caption = (await readFile(sidecar, "utf8")).replace(/^\uFEFF/, "").trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      return { key, reason: "no-caption", message: `${sidecar}: caption file removed since the folder was opened` };
    }
    if (caption === "") return { key, reason: "no-caption", message: `${sidecar}: empty caption file` };
    return { key, image, caption };
  }
}

/**
 * Opens a folder of images with sidecar `.txt` captions, searched recursively and sorted by
 * path so the stored order (and so every seeded shuffle of it) is the same on every machine.
 *
 * @example
 * const ds = await openImageFolder("photos/"); // photos/a/cat.jpg + photos/a/cat.txt, ...
 */
export async function openImageFolder(root: string, options: { extensions?: readonly string[] } = {}): Promise<ImageFolderDataset> {
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw new NotFoundError(`image folder not found: ${root}`);
  const extensions = new Set((options.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase()));
  const files = (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => relative(root, join(d.parentPath, d.name)));
  const present = new Set(files);
  const images: string[] = [];
  const uncaptioned: string[] = [];
  for (const file of files) {
    const ext = extname(file);
    if (!extensions.has(ext.toLowerCase())) continue;
    (present.has(file.slice(0, file.length - ext.length) + ".txt") ? images : uncaptioned).push(file);
  }
  const byPath = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return new ImageFolderDataset(root, images.sort(byPath), uncaptioned.sort(byPath));
}
