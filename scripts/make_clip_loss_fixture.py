"""Dev only: the reference for clipContrastiveLoss. Writes test/fixtures/clip_loss.json.
Run with Debian's python3-torch: /usr/bin/python3 scripts/make_clip_loss_fixture.py"""
import json
import math

import torch

torch.manual_seed(0)
img = torch.nn.functional.normalize(torch.randn(5, 8, dtype=torch.float64), dim=-1).requires_grad_(True)
txt = torch.nn.functional.normalize(torch.randn(5, 8, dtype=torch.float64), dim=-1).requires_grad_(True)
s = torch.tensor(math.log(1 / 0.07), dtype=torch.float64, requires_grad=True)


def symmetric_loss(targets):
    logits = s.exp() * img @ txt.T
    return (torch.nn.functional.cross_entropy(logits, targets) + torch.nn.functional.cross_entropy(logits.T, targets)) / 2


def loss_and_grads(targets):
    for t in (img, txt, s):
        t.grad = None
    loss = symmetric_loss(targets)
    loss.backward()
    return loss.item(), img.grad.flatten().tolist(), txt.grad.flatten().tolist(), s.grad.item()


loss, grad_img, grad_txt, grad_scale = loss_and_grads(torch.arange(5))

# UniCL: pairs of one class are positives to each other; row i's target is uniform over its class.
classes = ["cat", "dog", "cat", "fox", "dog"]
same = torch.tensor([[float(a == b) for b in classes] for a in classes], dtype=torch.float64)
c_loss, c_grad_img, c_grad_txt, c_grad_scale = loss_and_grads(same / same.sum(dim=1, keepdim=True))

json.dump({"img": img.detach().flatten().tolist(), "txt": txt.detach().flatten().tolist(), "scale": s.item(),
           "loss": loss, "grad_img": grad_img, "grad_txt": grad_txt, "grad_scale": grad_scale,
           "classes": classes, "classes_loss": c_loss, "classes_grad_img": c_grad_img,
           "classes_grad_txt": c_grad_txt, "classes_grad_scale": c_grad_scale},
          open("test/fixtures/clip_loss.json", "w"))
