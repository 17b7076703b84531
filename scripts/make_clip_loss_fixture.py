"""Dev only: the reference for clipContrastiveLoss. Writes test/fixtures/clip_loss.json.
Run with Debian's python3-torch: /usr/bin/python3 scripts/make_clip_loss_fixture.py"""
import json
import math

import torch

torch.manual_seed(0)
img = torch.nn.functional.normalize(torch.randn(5, 8, dtype=torch.float64), dim=-1).requires_grad_(True)
txt = torch.nn.functional.normalize(torch.randn(5, 8, dtype=torch.float64), dim=-1).requires_grad_(True)
s = torch.tensor(math.log(1 / 0.07), dtype=torch.float64, requires_grad=True)
logits = s.exp() * img @ txt.T
t = torch.arange(5)
loss = (torch.nn.functional.cross_entropy(logits, t) + torch.nn.functional.cross_entropy(logits.T, t)) / 2
loss.backward()
json.dump({"img": img.detach().flatten().tolist(), "txt": txt.detach().flatten().tolist(), "scale": s.item(),
           "loss": loss.item(), "grad_img": img.grad.flatten().tolist(), "grad_txt": txt.grad.flatten().tolist(),
           "grad_scale": s.grad.item()}, open("test/fixtures/clip_loss.json", "w"))
