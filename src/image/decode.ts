import sharp from "sharp";
import { ArgumentError, ImageDecodeError, type ImageDecodeReason } from "../errors.js";
import { containerFormat, isCutShort, sniffImageFormat } from "./container.js";
import { DEFAULT_MAX_BYTES, notAnImage, readImageFile, tooLarge } from "./read.js";
import type { DecodedImage, PixelImage, SourceImage } from "./types.js";

/**
 * Default pixel limit: Pillow's hard error threshold (2 x `Image.MAX_IMAGE_PIXELS`,
 * 2 x 89478485). An RGB image this large already takes ~537 MB decoded; anything bigger is
 * far more likely a decompression bomb than a photo.
 */
export const DEFAULT_MAX_PIXELS = 178956970;

export interface DecodeOptions {
  /** Refuse images with more than this many pixels (width x height), before decoding. */
  maxPixels?: number;
  /** Refuse files (or buffers) larger than this many bytes, before reading past it; default 512 MiB. */
  maxBytes?: number;
}

const BUFFER_NAME = "<buffer>";

function classify(message: string, bytes: Uint8Array): ImageDecodeReason {
  if (/pixel limit/i.test(message)) return "too-many-pixels";
  // A known container is an image, damaged in one of two ways its bytes can tell apart.
  const format = containerFormat(bytes);
  if (format !== null) return isCutShort(format, bytes) ? "truncated" : "corrupt";
  if (/unsupported image format|bad seek|not a known file format/i.test(message)) return "not-an-image";
  if (/premature end|truncat|unexpected end|read error|short read/i.test(message)) return "truncated";
  return "corrupt";
}

const REASON_TEXT: Record<ImageDecodeReason, string> = {
  "not-an-image": "not an image (or an unsupported format)",
  truncated: "truncated image data",
  "too-many-pixels": "too many pixels",
  "too-large": "file too large",
  corrupt: "corrupt image data",
};

// librsvg rejects an SVG with anything but XML around the element (a BOM, an HTML wrapper,
// stray text from a bad export): keep `<svg ... </svg>` when the file is text.
function trimToSvg(bytes: Buffer): Buffer {
  const head = bytes.subarray(0, 4096).toString("latin1").replace(/^\xEF\xBB\xBF/, "");
  if (!/^\s*</.test(head)) return bytes;
  const start = bytes.indexOf("<svg");
  if (start < 0) return bytes;
  const close = bytes.lastIndexOf("</svg>");
  return bytes.subarray(start, close > start ? close + "</svg>".length : bytes.length);
}

function oneLine(message: string): string {
  return message.replace(/\s+/g, " ").trim();
}

/**
 * Decodes an image file or buffer to 8-bit RGB (HWC), the way the reference pipelines see it
 * after PIL's `Image.open(...).convert("RGB")`, plus EXIF orientation applied:
 * - alpha is dropped, not composited (an RGBA pixel (200, 10, 10, 0) stays (200, 10, 10));
 * - greyscale becomes three equal channels;
 * - embedded ICC profiles are ignored, as PIL ignores them;
 * - CMYK becomes RGB by PIL's arithmetic, not a colour profile (see `dropAlpha`);
 * - JPEG, PNG, WebP, GIF (first frame), AVIF, TIFF and SVG are read by sharp.
 *
 * Throws `NotFoundError` for a missing file and `ImageDecodeError` (with a `reason`) for
 * anything else, including images over `maxPixels`, which are refused from the header alone,
 * files whose first bytes are no image signature (read no further) and files over `maxBytes`.
 *
 * @example
 * const img = await decodeImage("cat.jpg");
 * img.width, img.height, img.data.length === img.width * img.height * 3;
 */
export async function decodeImage(input: string | Buffer, options: DecodeOptions = {}): Promise<DecodedImage> {
  return dropAlpha(await decodeSource(input, options));
}

/**
 * PIL's `convert("RGB")`: RGB kept; RGBA's colour channels kept, alpha discarded; CMYK (an
 * image flagged `cmyk`) by PIL's plain arithmetic, no colour profile: with nk = 255 - K,
 * R = nk - C * nk / 255 (rounded as PIL's MULDIV255 rounds), G from M, B from Y.
 */
export function dropAlpha(img: PixelImage & { cmyk?: boolean }): DecodedImage {
  if (img.channels === 3) return { width: img.width, height: img.height, channels: 3, data: img.data };
  const n = img.width * img.height;
  const rgb = new Uint8Array(n * 3);
  const src = img.data;
  if (img.cmyk) {
    for (let i = 0; i < n; i++) {
      const nk = 255 - src[4 * i + 3];
      for (let c = 0; c < 3; c++) {
        const t = src[4 * i + c] * nk + 128;
        rgb[3 * i + c] = nk - (((t >> 8) + t) >> 8);
      }
    }
  } else {
    for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = src[img.channels * i + c];
  }
  return { width: img.width, height: img.height, channels: 3, data: rgb };
}

/**
 * A CMYK image's ink values as PIL holds them, kept CMYK (PIL resizes in that mode; `dropAlpha`
 * converts). libvips would convert through a CMYK colour profile, up to 92 levels away from
 * PIL's arithmetic. Both read a CMYK JPEG as Adobe-inverted ink, with or without the Adobe
 * marker (checked on a fixture of each kind), so the values need no correction.
 */
async function decodeCmyk(image: ReturnType<typeof sharp>, name: string): Promise<SourceImage> {
  const { data, info } = await image
    .autoOrient()
    .pipelineColourspace("cmyk")
    .toColourspace("cmyk")
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new ImageDecodeError(name, "corrupt", `a CMYK image decoded to ${info.channels} channels`);
  return { width: info.width, height: info.height, channels: 4, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), indexed: false, cmyk: true };
}

/**
 * Like `decodeImage`, but keeps the alpha channel and the palette flag, which the original
 * CLIP preprocessing needs: it resizes before `convert("RGB")`, so PIL resizes RGBA images
 * premultiplied and palette images with NEAREST (see `resizeLikePIL`).
 */
export async function decodeSource(input: string | Buffer, options: DecodeOptions = {}): Promise<SourceImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  for (const [key, value] of [["maxPixels", maxPixels], ["maxBytes", maxBytes]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new ArgumentError(`decodeImage: ${key} must be a positive integer, got ${value}`);
    }
  }
  const name = typeof input === "string" ? input : BUFFER_NAME;
  let bytes: Buffer;
  if (typeof input === "string") {
    bytes = await readImageFile(input, maxBytes);
  } else {
    if (input.length > maxBytes) throw tooLarge(name, maxBytes, input.length);
    if (sniffImageFormat(input) === null) throw notAnImage(name, input);
    bytes = input;
  }

  try {
    const image = sharp(trimToSvg(bytes), {
      limitInputPixels: maxPixels,
      // 'warning' is what turns libjpeg's "premature end of data" into an error; lower levels
      // hand back a half-grey image without complaint.
      failOn: "warning",
      ignoreIcc: true,
    });
    const meta = await image.metadata();
    if (meta.space === "cmyk") return await decodeCmyk(image, name);
    const { data, info } = await image
      .autoOrient()
      // Greyscale to sRGB: grey levels are replicated into R, G and B unchanged.
      .toColourspace("srgb")
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 && info.channels !== 4) {
      throw new ImageDecodeError(name, "corrupt", `decoded to ${info.channels} channels, expected RGB or RGBA`);
    }
    return {
      width: info.width,
      height: info.height,
      channels: info.channels,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      // PIL opens these as mode "P" or "1".
      indexed: meta.isPalette === true || (meta.bitsPerSample === 1 && meta.channels === 1),
    };
  } catch (err) {
    if (err instanceof ImageDecodeError) throw err;
    const detail = oneLine(err instanceof Error ? err.message : String(err));
    const reason = classify(detail, bytes);
    const limit = reason === "too-many-pixels" ? ` (limit ${maxPixels}, see maxPixels)` : "";
    throw new ImageDecodeError(name, reason, `${REASON_TEXT[reason]}${limit}: ${detail}`, { cause: err });
  }
}
