import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentError } from "../errors.js";
import { IMAGENET_TEMPLATES, SIMPLE_TEMPLATES, checkTemplate, fillTemplate } from "./templates.js";

describe("templates", () => {
  it("fills {} and {label}", () => {
    assert.equal(fillTemplate("a photo of a {}.", "cat"), "a photo of a cat.");
    assert.equal(fillTemplate("{} or {}", "cat"), "cat or cat");
    assert.equal(fillTemplate("a {label} icon", "cat"), "a cat icon");
  });

  it("refuses a template without a place for the label, naming it", () => {
    for (const template of ["a photo", "", "a photo of a {x}"]) {
      assert.throws(
        () => fillTemplate(template, "cat"),
        (e: unknown) => e instanceof ArgumentError && e.message.includes(JSON.stringify(template)) && /no "\{\}"/.test(e.message),
      );
    }
  });

  it("accepts every built-in template", () => {
    for (const template of [...IMAGENET_TEMPLATES, ...SIMPLE_TEMPLATES]) checkTemplate(template);
  });
});
