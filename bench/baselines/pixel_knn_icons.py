"""A non-learned reference point for the icons corpus's held-out style: match each Twemoji
drawing to the training emoji drawings by the correlation of small RGB thumbnails and predict
the name of the best match. It needs a picture of every name (zero-shot CLIP has only the
names), so it is a yardstick for how alike the styles are, not a competitor.

Dev-time only (Debian's python3 with numpy and PIL): /usr/bin/python3 bench/baselines/pixel_knn_icons.py [data/icons]
"""
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

root = Path(sys.argv[1] if len(sys.argv) > 1 else "data/icons")
rows = [json.loads(line) for line in open(root / "manifest.jsonl")]
icon_styles = ("fa-", "lucide")  # Font Awesome and Lucide draw other things than emoji
emoji_styles = {r["style"] for r in rows if not r["style"].startswith(icon_styles)}
train = [r for r in rows if r["split"] == "train" and r["style"] in emoji_styles]
test = [r for r in rows if r["split"] == "test-style"]


def thumbnails(items, side):
    x = np.stack([np.asarray(Image.open(root / r["image"]).convert("RGB").resize((side, side), Image.BILINEAR), dtype=np.float32).reshape(-1) / 255 for r in items])
    x -= x.mean(1, keepdims=True)
    return x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-6)


names = sorted({r["name"] for r in test})
index = {n: i for i, n in enumerate(names)}
target = np.array([index[r["name"]] for r in test])
for side in (8, 16):
    similarity = thumbnails(test, side) @ thumbnails(train, side).T
    best = np.full((len(test), len(names)), -np.inf, dtype=np.float32)
    for j, r in enumerate(train):
        if r["name"] in index:
            c = index[r["name"]]
            best[:, c] = np.maximum(best[:, c], similarity[:, j])
    order = np.argsort(-best, axis=1)
    top1 = (order[:, 0] == target).mean()
    top5 = (order[:, :5] == target[:, None]).any(1).mean()
    print(f"{side}x{side} thumbnails, {len(train)} training emoji, {len(names)} names: top-1 {top1:.1%}, top-5 {top5:.1%}")
