import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Tensor, scalar } from "../../tensor/index.js";
import { assertClose } from "../../../test/support/assert.js";
import { type ClipLossOptions, clipContrastiveLoss } from "./loss.js";

// Made by PyTorch 1.13 in float64 by scripts/make_clip_loss_fixture.py:
// (CE(s.exp() * img @ txt.T, arange) + CE(its transpose, arange)) / 2 and its gradients.
const f = JSON.parse(readFileSync(new URL("../../../test/fixtures/clip_loss.json", import.meta.url), "utf8")) as {
  img: number[]; txt: number[]; scale: number; loss: number; grad_img: number[]; grad_txt: number[]; grad_scale: number;
  classes: string[]; classes_loss: number; classes_grad_img: number[]; classes_grad_txt: number[]; classes_grad_scale: number;
};

function fixtureInputs() {
  return {
    img: new Tensor(Float32Array.from(f.img), [5, 8]).setRequiresGrad(),
    txt: new Tensor(Float32Array.from(f.txt), [5, 8]).setRequiresGrad(),
    s: scalar(f.scale).setRequiresGrad(),
  };
}

interface TorchResult { loss: number; gradImg: number[]; gradTxt: number[]; gradScale: number }

const plainInfoNce: TorchResult = { loss: f.loss, gradImg: f.grad_img, gradTxt: f.grad_txt, gradScale: f.grad_scale };

/** The loss on the fixture's inputs, and its gradients for image, text and temperature, against PyTorch's. */
function assertMatchesTorch(options: ClipLossOptions, expected: TorchResult): void {
  const { img, txt, s } = fixtureInputs();
  const loss = clipContrastiveLoss(img, txt, s, options);
  assert.ok(Math.abs(loss.item() - expected.loss) < 1e-5, `loss ${loss.item()} vs ${expected.loss}`);
  loss.backward();
  assertClose(img.grad!, expected.gradImg, { atol: 1e-5, rtol: 1e-4 });
  assertClose(txt.grad!, expected.gradTxt, { atol: 1e-5, rtol: 1e-4 });
  assert.ok(Math.abs(s.grad!.item() - expected.gradScale) < 1e-5, `d loss / d scale ${s.grad!.item()} vs ${expected.gradScale}`);
}

test("symmetric InfoNCE and its gradients match PyTorch", () => {
  assertMatchesTorch({}, plainInfoNce);
});

test("perfectly matched pairs with a high temperature give a loss near 0", () => {
  const eye = new Tensor(Float32Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 1 : 0)), [4, 4]);
  assert.ok(clipContrastiveLoss(eye, eye, scalar(Math.log(100))).item() < 1e-10 + 1e-6);
});

test("with classes, same-class pairs are positives: loss and gradients match PyTorch's probability targets", () => {
  assertMatchesTorch(
    { classes: f.classes },
    { loss: f.classes_loss, gradImg: f.classes_grad_img, gradTxt: f.classes_grad_txt, gradScale: f.classes_grad_scale },
  );
});

test("with one class per pair, the loss is plain InfoNCE", () => {
  assertMatchesTorch({ classes: ["a", "b", "c", "d", "e"] }, plainInfoNce);
});

test("a class list of the wrong length is a shape error", () => {
  const { img, txt, s } = fixtureInputs();
  assert.throws(() => clipContrastiveLoss(img, txt, s, { classes: ["a", "b"] }), { name: "ShapeError", message: /2 classes for a batch of 5 pairs/ });
});
