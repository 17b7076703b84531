"""Writes the CMYK JPEG fixtures for src/image/cmyk.test.ts into test/fixtures/images/.

A dev script, not part of the build: it needs Pillow (Debian's python3-pil, written against 9.4).
Run from the repository root:

    /usr/bin/python3 scripts/make_cmyk_fixtures.py

Two CMYK JPEGs of the same picture: `cmyk_adobe.jpg` as Pillow writes it (with libjpeg's Adobe
APP14 marker, inverted "Adobe" ink values) and `cmyk_plain.jpg`, the same bytes with the APP14
segment cut out. Pillow reads both as Adobe-inverted ink, so both give the same pixels; the test
checks that vlmkit's decoder does too. cmyk.json holds, per file, what Pillow makes of it:
- `rgb`: `Image.open(f).convert("RGB")`, row-major bytes, base64;
- `clip`: the original CLIP preprocessing at 24 px (resize the shorter side with BICUBIC in the
  image's own mode, CMYK, centre crop at int(round((H - h) / 2)), then convert("RGB")), as
  torchvision's Resize(24) + CenterCrop(24) + convert do it, base64 HWC bytes.
"""

import base64
import json
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "images"
SIZE = 24


def picture():
    """37x23 CMYK: every channel varies independently, so a swapped or uninverted channel shows."""
    im = Image.new("CMYK", (37, 23))
    px = im.load()
    for y in range(23):
        for x in range(37):
            px[x, y] = ((x * 7) % 256, (y * 11) % 256, ((x + y) * 5) % 256, (x * y) % 200)
    return im


def strip_app14(data):
    """The JPEG without its Adobe APP14 segment (marker 0xFFEE)."""
    out = bytearray(data[:2])
    i = 2
    while i < len(data):
        assert data[i] == 0xFF, "marker expected"
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the rest is entropy-coded data
            out += data[i:]
            break
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker != 0xEE:
            out += data[i : i + 2 + length]
        i += 2 + length
    return bytes(out)


def clip_pixels(im):
    w, h = im.size
    # torchvision's Resize(int): the shorter side to SIZE, the longer int(SIZE * long / short).
    if w <= h:
        size = (SIZE, int(SIZE * h / w))
    else:
        size = (int(SIZE * w / h), SIZE)
    resized = im.resize(size, Image.BICUBIC)
    left = int(round((size[0] - SIZE) / 2.0))
    top = int(round((size[1] - SIZE) / 2.0))
    return resized.crop((left, top, left + SIZE, top + SIZE)).convert("RGB")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    adobe = OUT / "cmyk_adobe.jpg"
    picture().save(adobe, quality=90)
    data = adobe.read_bytes()
    assert b"Adobe" in data
    plain = strip_app14(data)
    assert b"Adobe" not in plain
    (OUT / "cmyk_plain.jpg").write_bytes(plain)
    expected = {}
    for name in ["cmyk_adobe.jpg", "cmyk_plain.jpg"]:
        im = Image.open(OUT / name)
        assert im.mode == "CMYK"
        expected[name] = {
            "width": im.size[0],
            "height": im.size[1],
            "rgb": base64.b64encode(im.convert("RGB").tobytes()).decode(),
            "clip": base64.b64encode(clip_pixels(im).tobytes()).decode(),
            "clipSize": SIZE,
        }
    (OUT / "cmyk.json").write_text(json.dumps(expected, indent=1) + "\n")
    print(f"wrote cmyk_adobe.jpg, cmyk_plain.jpg and cmyk.json to {OUT}")


if __name__ == "__main__":
    main()
