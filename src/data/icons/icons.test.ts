import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { caption } from "./captions.js";
import { imagePaths, summaryTable } from "./build.js";
import {
  type CorpusItem,
  type EmojibaseEntry,
  fontAwesomeItems,
  iconifySlug,
  type ImageSource,
  joinEmoji,
  lucideItems,
  normalizeHexcode,
  normalizeName,
  parseFontAwesomeCategories,
} from "./sources.js";
import { assignSplits, type SplitItem, verifyHeldOutNames, words } from "./split.js";

const file = (path: string): ImageSource => ({ kind: "file", path });

describe("metadata joins", () => {
  it("normalises code points and names the way the packages spell them", () => {
    assert.equal(normalizeHexcode("2764-fe0f"), "2764");
    assert.equal(normalizeHexcode("1f468_200D_1F469"), "1F468-200D-1F469");
    assert.equal(normalizeName("flag: Egypt"), "flag of egypt");
    assert.equal(normalizeName("keycap: 1"), "keycap, 1");
    assert.equal(normalizeName("Face-Grin  Beam"), "face grin beam");
    // Iconify's emoji sets without a code point table are joined by these slugs.
    assert.equal(iconifySlug("flag: Côte d’Ivoire"), "flag-cote-d-ivoire");
    assert.equal(iconifySlug("grinning face with big eyes"), "grinning-face-with-big-eyes");
    assert.equal(iconifySlug("keycap: *"), "keycap");
  });

  it("joins emoji art to Emojibase labels by code point, across styles, without components", () => {
    const emojibase: EmojibaseEntry[] = [
      { label: "red heart", hexcode: "2764-FE0F", tags: ["heart", "Love"], group: 0, subgroup: 1 },
      { label: "flag: Egypt", hexcode: "1F1EA-1F1EC", tags: ["flag"], group: 9, subgroup: 2 },
      { label: "light skin tone", hexcode: "1F3FB", tags: ["skin"], group: 2, subgroup: 3 },
      { label: "regional indicator", hexcode: "1F1E6" },
    ];
    const groups = { groups: { "0": "smileys-emotion", "2": "component", "9": "flags" }, subgroups: { "1": "heart", "2": "country-flag", "3": "skin-tone" } };
    const art = new Map([
      ["google", new Map([["2764", file("g/2764.png")], ["1F1EA-1F1EC", file("g/eg.png")], ["1F3FB", file("g/skin.png")], ["E000", file("g/extra.png")]])],
      ["fluent", new Map([["2764", file("f/heart.svg")]])],
    ]);
    const { items, unmatched } = joinEmoji(emojibase, groups, { "2764-FE0F": ["heart", "red_heart"] }, art);
    assert.deepEqual(
      items.map((i) => [i.style, i.name, i.group, i.subgroup, i.keywords.join("|"), (i.source as { path: string }).path]),
      [
        ["google", "red heart", "smileys-emotion", "heart", "heart|love", "g/2764.png"],
        ["fluent", "red heart", "smileys-emotion", "heart", "heart|love", "f/heart.svg"],
        ["google", "flag of egypt", "flags", "country-flag", "flag", "g/eg.png"],
      ],
    );
    assert.deepEqual(Object.fromEntries(unmatched), { google: 2, fluent: 0 });
  });

  it("reads Font Awesome categories and icons per style, and only canonical Lucide names", () => {
    const groupOf = parseFontAwesomeCategories("animals:\n  icons:\n    - cat\n    - dog\n  label: Animals\nhouse:\n  icons:\n    - cat\n  label: 'Home & Garden'\n");
    assert.deepEqual(Object.fromEntries(groupOf), { cat: "animals", dog: "animals" });
    assert.throws(() => parseFontAwesomeCategories("animals:\n  colour: red\n"), /categories.yml:2: unexpected line/);
    const fa = fontAwesomeItems(
      { cat: { label: "Cat", search: { terms: ["feline", "Cat", "pet"] }, svgs: { classic: { solid: { raw: "<svg/>" }, regular: { raw: "<svg/>" } } } } },
      groupOf,
    );
    assert.deepEqual(fa.map((i) => [i.style, i.name, i.group, i.keywords.join("|")]), [
      ["fa-solid", "cat", "animals", "feline|pet"],
      ["fa-regular", "cat", "animals", "feline|pet"],
    ]);
    const lucide = lucideItems({ "house-plus": ["home", "add"], gone: ["x"] }, (n) => (n === "gone" ? null : "<svg/>"));
    assert.deepEqual(lucide.map((i) => [i.name, i.keywords]), [["house plus", ["home", "add"]]]);
  });
});

describe("captions", () => {
  const item = { name: "apple", keywords: ["fruit", "red", "food"], domain: "emoji" as const, styleLabel: "Noto" };

  it("are reproducible per (seed, id) and varied across ids", () => {
    assert.equal(caption(item, 0, "google/apple.png"), caption(item, 0, "google/apple.png"));
    const phrasings = new Set(Array.from({ length: 60 }, (_, i) => caption(item, 0, `google/apple-${i}.png`)));
    assert.ok(phrasings.size >= 8, [...phrasings].join(" / "));
    for (const c of phrasings) {
      assert.match(c, /apple/);
      assert.doesNotMatch(c, /[{}]|a apple|, $/, c);
    }
    assert.ok([...phrasings].some((c) => c.includes("an emoji of an apple")));
    assert.ok([...phrasings].some((c) => c.includes("a Noto")));
    const styled = new Set(Array.from({ length: 60 }, (_, i) => caption({ ...item, styleLabel: "OpenMoji" }, 0, `o/${i}`)));
    assert.ok([...styled].some((c) => c.startsWith("an OpenMoji ")) && ![...styled].some((c) => /\ba OpenMoji/.test(c)));
  });

  it("never use a keyword template for an item without keywords, and differ between domains", () => {
    for (let i = 0; i < 40; i++) {
      const c = caption({ name: "house", keywords: [], domain: "icon", styleLabel: "line" }, 1, `x${i}`);
      assert.doesNotMatch(c, /,|:/, c);
      assert.doesNotMatch(c, /emoji/, c);
    }
  });
});

describe("splits", () => {
  // Four styles of the same names, captions spelling out each name plus a shared keyword.
  function corpus(names: string[], styles = ["a", "b", "c", "held"]): SplitItem[] {
    return styles.flatMap((style) => names.map((name) => ({ name, style, caption: `a ${style} drawing of ${name}` })));
  }

  it("holds out one style entirely and whole names from every style, made of seen words", () => {
    const items = corpus(["red apple", "green apple", "red car", "blue car", "green tree", "blue sky", "sky tree", "car apple"]);
    const { splits, heldOutNames } = assignSplits(items, { heldOutStyle: "held", heldOutNames: 2, valFraction: 0, seed: 0 });
    assert.equal(heldOutNames.length, 2);
    items.forEach((item, k) => {
      if (heldOutNames.includes(item.name)) assert.equal(splits[k], "test-names", `${item.style}/${item.name}`);
      else if (item.style === "held") assert.equal(splits[k], "test-style");
      else assert.equal(splits[k], "train");
    });
    assert.deepEqual(verifyHeldOutNames(items, splits), []);
  });

  it("refuses to hold out a name whose word would then never be seen in training", () => {
    // "purple" occurs only in "purple cow": holding it out would make an unseen word.
    const items = corpus(["purple cow", "brown cow", "brown dog", "white dog"]);
    for (let seed = 0; seed < 10; seed++) {
      const { heldOutNames, splits } = assignSplits(items, { heldOutStyle: "held", heldOutNames: 4, valFraction: 0, seed });
      assert.ok(!heldOutNames.includes("purple cow"), `seed ${seed}`);
      // brown cow + white dog would leave "white" unseen too; brown dog needs both words elsewhere.
      assert.deepEqual(verifyHeldOutNames(items, splits), []);
    }
  });

  it("does not hold out a name spelled out in another training caption, nor single words", () => {
    // "hot dog" is a keyword in the sausage caption; "apple sauce" would leave "apple" unseen.
    const items = [...corpus(["hot dog", "dog", "hot sauce", "apple sauce"]), { name: "sausage", style: "a", caption: "sausage, hot dog" }];
    const { heldOutNames } = assignSplits(items, { heldOutStyle: "held", heldOutNames: 3, valFraction: 0, seed: 0 });
    assert.deepEqual(heldOutNames, ["hot sauce"]);
  });

  it("draws val from seen names in seen styles, keeping held-out words in training, reproducibly", () => {
    const names = Array.from({ length: 30 }, (_, i) => `thing ${i} ${["red", "blue", "green"][i % 3]}`);
    const items = corpus(names);
    const options = { heldOutStyle: "held", heldOutNames: 5, valFraction: 0.1, seed: 3 };
    const a = assignSplits(items, options);
    assert.deepEqual(assignSplits(items, options), a);
    assert.notDeepEqual(assignSplits(items, { ...options, seed: 4 }).splits, a.splits);
    const val = a.splits.filter((s) => s === "val").length;
    const trainable = a.splits.filter((s) => s === "val" || s === "train").length;
    assert.ok(val > 0 && val <= Math.round(0.1 * trainable), `val ${val} of ${trainable}`);
    items.forEach((item, k) => {
      if (a.splits[k] === "val") assert.ok(item.style !== "held" && !a.heldOutNames.includes(item.name));
    });
    assert.deepEqual(verifyHeldOutNames(items, a.splits), []);
    assert.throws(() => assignSplits(items, { ...options, heldOutStyle: "nope" }), /no items in the held-out style "nope"/);
  });

  it("verifyHeldOutNames reports words missing from training", () => {
    const items = [
      { name: "blue moon", style: "a", caption: "blue moon" },
      { name: "moon", style: "a", caption: "moon" },
    ];
    assert.deepEqual(verifyHeldOutNames(items, ["test-names", "train"]), ["blue moon: blue"]);
    assert.deepEqual(words("Flag of Côte d’Ivoire, 3"), ["flag", "of", "côte", "d", "ivoire", "3"]);
  });
});

describe("corpus files", () => {
  it("gives unique image paths per style and a summary table with totals", () => {
    const item = (style: string, name: string): CorpusItem => ({ style, name, group: "", subgroup: "", keywords: [], source: file("x") });
    assert.deepEqual(imagePaths([item("google", "flag of Côte d’Ivoire"), item("google", "a/b"), item("google", "a b"), item("lucide", "a b")]), [
      "images/google/flag-of-cote-d-ivoire.png",
      "images/google/a-b.png",
      "images/google/a-b-2.png",
      "images/lucide/a-b.png",
    ]);
    const table = summaryTable({ google: { train: 5, val: 1, "test-style": 0, "test-names": 2, total: 8 }, twitter: { train: 0, val: 0, "test-style": 7, "test-names": 1, total: 8 } });
    assert.equal(table.split("\n").at(-1), "all          5    1           7           3     16");
  });
});
