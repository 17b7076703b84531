"""Dev only: torch's bicubic interpolate (align_corners=False), the reference for
interpolateBicubic (ViT position-embedding resizing). Writes test/fixtures/interpolate.json.
Run with Debian's python3-torch: /usr/bin/python3 scripts/make_interpolate_fixture.py"""
import json
import torch

cases = []
for (n, c, h, w, oh, ow) in [(2, 3, 4, 5, 7, 3), (1, 2, 7, 7, 10, 10), (1, 1, 7, 7, 4, 5)]:
    x = torch.arange(n * c * h * w, dtype=torch.float64).reshape(n, c, h, w).sin().float()
    x.requires_grad_(True)
    y = torch.nn.functional.interpolate(x, size=(oh, ow), mode="bicubic", align_corners=False)
    w_out = torch.arange(y.numel(), dtype=torch.float32).reshape(y.shape).cos()
    (y * w_out).sum().backward()
    cases.append({"shape": [n, c, h, w], "size": [oh, ow], "out": y.detach().flatten().tolist(), "grad": x.grad.flatten().tolist()})
json.dump({"torch": torch.__version__, "cases": cases}, open("test/fixtures/interpolate.json", "w"))
