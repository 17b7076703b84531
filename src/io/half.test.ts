import { test } from "node:test";
import assert from "node:assert/strict";
import { bf16BitsToF32, f16BitsToF32, f32Bits, f32BitsToBf16, f32BitsToF16 } from "./half.js";

const toF16 = (x: number) => f32BitsToF16(f32Bits(x));
const toBf16 = (x: number) => f32BitsToBf16(f32Bits(x));
const hex = (h: number) => `0x${h.toString(16).padStart(4, "0")}`;

// [value, F16 bits]: IEEE 754 binary16 encodings of exactly representable values.
const F16_CASES: [number, number][] = [
  [0, 0x0000],
  [-0, 0x8000],
  [1, 0x3c00],
  [-2.5, 0xc100],
  [65504, 0x7bff], // largest finite
  [Infinity, 0x7c00],
  [-Infinity, 0xfc00],
  [2 ** -14, 0x0400], // smallest normal
  [2 ** -24, 0x0001], // smallest subnormal
  [1023 * 2 ** -24, 0x03ff], // largest subnormal
  [-(2 ** -24), 0x8001],
];

test("F16 encodes known values", () => {
  for (const [value, bits] of F16_CASES) assert.equal(hex(toF16(value)), hex(bits), `encode ${value}`);
  assert.equal(hex(toF16(0.1)), "0x2e66");
  assert.equal(f16BitsToF32(0x2e66), 0.0999755859375);
});

test("F16 decodes known bit patterns", () => {
  for (const [value, bits] of F16_CASES) assert.ok(Object.is(f16BitsToF32(bits), value), `decode ${hex(bits)}`);
  assert.ok(Number.isNaN(f16BitsToF32(0x7e00)));
  assert.ok(Number.isNaN(f16BitsToF32(0xfc01)));
});

test("F16 rounds to nearest, ties to even", () => {
  assert.equal(hex(toF16(1 + 2 ** -11)), "0x3c00"); // tie between 0x3c00 and 0x3c01 -> even
  assert.equal(hex(toF16(1 + 3 * 2 ** -11)), "0x3c02"); // tie between 0x3c01 and 0x3c02 -> even
  assert.equal(hex(toF16(1 + 2 ** -11 + 2 ** -20)), "0x3c01"); // just above the tie
  assert.equal(hex(toF16(65519)), "0x7bff"); // below the midpoint to 2^16
  assert.equal(hex(toF16(65520)), "0x7c00"); // tie with 65536 rounds to even = overflow
  assert.equal(hex(toF16(1e6)), "0x7c00");
  assert.equal(hex(toF16(2 ** -25)), "0x0000"); // tie between 0 and the smallest subnormal
  assert.equal(hex(toF16(2 ** -25 + 2 ** -35)), "0x0001");
  assert.equal(hex(toF16(3 * 2 ** -25)), "0x0002"); // tie between subnormals 1 and 2
  assert.equal(hex(toF16(2 ** -26)), "0x0000");
  assert.equal(hex(toF16(1e-10)), "0x0000");
  assert.equal(hex(toF16(-1e-10)), "0x8000");
  assert.equal(hex(toF16(2 ** -14 - 2 ** -25)), "0x0400"); // largest-subnormal tie carries into the normals
});

test("F16 keeps NaN a NaN, including payloads that live only in the low bits", () => {
  assert.equal(hex(toF16(NaN)), "0x7e00");
  const lowPayloadNaN = 0x7f800001; // shifting out the payload would give infinity
  assert.equal(hex(f32BitsToF16(lowPayloadNaN) & 0x7e00), "0x7e00");
  assert.equal(hex(f32BitsToF16(0xff800001) & 0xfe00), "0xfe00");
});

test("every finite F16 survives F16 -> F32 -> F16", () => {
  for (let h = 0; h < 65536; h++) {
    const value = f16BitsToF32(h);
    if (Number.isNaN(value)) continue;
    assert.equal(toF16(value), h, `bits ${hex(h)} -> ${value}`);
  }
});

test("BF16 encodes and decodes known values", () => {
  const cases: [number, number][] = [
    [1, 0x3f80], [-2.5, 0xc020], [Infinity, 0x7f80], [-Infinity, 0xff80], [-0, 0x8000], [2 ** -133, 0x0001],
  ];
  for (const [value, bits] of cases) {
    assert.equal(hex(toBf16(value)), hex(bits), `encode ${value}`);
    assert.ok(Object.is(bf16BitsToF32(bits), value), `decode ${hex(bits)}`);
  }
  assert.ok(Number.isNaN(bf16BitsToF32(toBf16(NaN))));
  assert.equal(hex(f32BitsToBf16(0x7f800001) & 0x7fc0), "0x7fc0");
});

test("BF16 rounds to nearest, ties to even", () => {
  assert.equal(hex(toBf16(1 + 2 ** -8)), "0x3f80"); // tie -> even
  assert.equal(hex(toBf16(1 + 3 * 2 ** -8)), "0x3f82"); // tie -> even
  assert.equal(hex(toBf16(1 + 2 ** -8 + 2 ** -20)), "0x3f81");
  assert.equal(hex(toBf16(3.4028234663852886e38)), "0x7f80"); // float32 max rounds up to infinity
});
