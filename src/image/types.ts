/** 8-bit pixels, row-major, channels interleaved (HWC). */
export interface PixelImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/** What `decodeImage` returns: always RGB, whatever the file held. */
export interface DecodedImage extends PixelImage {
  channels: 3;
}

/**
 * Decoded pixels before alpha is dropped, with what PIL's `Image.resize` needs to know to
 * resample them as it would in the image's own mode.
 */
export interface SourceImage extends PixelImage {
  channels: 3 | 4;
  /** Palette or 1-bit: PIL resizes such images with NEAREST whatever filter is asked for. */
  indexed: boolean;
  /**
   * The four channels are PIL's CMYK ink values, not RGBA (a CMYK JPEG or TIFF): resized as
   * they are, like PIL resizes CMYK images, and converted to RGB last (see `toRGB`).
   */
  cmyk?: boolean;
}
