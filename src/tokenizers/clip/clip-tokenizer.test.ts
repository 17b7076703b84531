import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ArgumentError, FileFormatError, NotFoundError, TokenizerError } from "../../errors.js";
import { CLIPTokenizer } from "./clip-tokenizer.js";
import { loadClipTokenizerFiles } from "./load.js";

const REFERENCE = fileURLToPath(new URL("../../../../shared/reference/clip/", import.meta.url));
const TOKENIZER_DIR = join(REFERENCE, "tokenizer");
const ORIGINAL_GZ = join(TOKENIZER_DIR, "bpe_simple_vocab_16e6.txt.gz");
const HF_FOLDER = join(REFERENCE, "tiny", "hf");
const skip = existsSync(join(REFERENCE, "tokenization.jsonl"))
  ? false
  : `reference fixtures not found at ${REFERENCE} (CI has them, a fresh clone does not)`;

interface ReferenceCase {
  text: string;
  ids: number[];
  bpe: number[];
}
const referenceCases: ReferenceCase[] = skip
  ? []
  : readFileSync(join(REFERENCE, "tokenization.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as ReferenceCase);

const SOT = 49406;
const EOT = 49407;
const label = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);

const scratch = mkdtempSync(join(tmpdir(), "vlmkit-clip-tokenizer-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A Hugging Face tokenizers-format file made from vocab.json + merges.txt. */
function writeTokenizerJson(file: string, mergesAs: "strings" | "pairs"): string {
  const vocab = JSON.parse(readFileSync(join(TOKENIZER_DIR, "vocab.json"), "utf8"));
  const lines = readFileSync(join(TOKENIZER_DIR, "merges.txt"), "utf8")
    .split("\n")
    .filter((line, i) => line !== "" && !(i === 0 && line.startsWith("#version")));
  const merges = mergesAs === "strings" ? lines : lines.map((line) => line.split(" "));
  const model = { type: "BPE", vocab, merges, end_of_word_suffix: "</w>", continuing_subword_prefix: "" };
  writeFileSync(file, JSON.stringify({ version: "1.0", added_tokens: [], padding: null, model }));
  return file;
}

/** Each way of loading the reference vocabulary; all must give the original ids. */
const formats: [string, () => string][] = [
  ["vocab.json + merges.txt", () => TOKENIZER_DIR],
  ["bpe_simple_vocab_16e6.txt.gz", () => ORIGINAL_GZ],
  ["tokenizer.json, merges as strings", () => writeTokenizerJson(join(scratch, "strings.json"), "strings")],
  // A folder holding only tokenizer.json must be found too.
  [
    "tokenizer.json, merges as pairs",
    () => {
      writeTokenizerJson(join(scratch, "tokenizer.json"), "pairs");
      return scratch;
    },
  ],
];

for (const [format, source] of formats) {
  describe(`CLIPTokenizer from ${format} matches the original clip.tokenize`, { skip }, () => {
    let tok: CLIPTokenizer;
    before(async () => {
      tok = await CLIPTokenizer.fromPretrained(source());
    });

    it("has the original vocabulary size, special ids and zero padding", () => {
      assert.equal(tok.vocabSize, 49408);
      assert.equal(tok.sotTokenId, SOT);
      assert.equal(tok.eotTokenId, EOT);
      assert.equal(tok.padTokenId, 0);
    });

    for (const { text, ids, bpe } of referenceCases) {
      it(label(text), () => {
        assert.deepEqual(tok.encode(text), bpe);
        const batch = tok.tokenize([text]);
        assert.deepEqual(batch.inputIds, [ids]);
        const real = Math.min(bpe.length + 2, 77);
        assert.deepEqual(batch.attentionMask[0], [...Array(77)].map((_, i) => (i < real ? 1 : 0)));
      });
    }
  });
}

describe("the three file formats describe one vocabulary", { skip }, () => {
  it("the vocabulary rebuilt from the .gz equals vocab.json, merges included", async () => {
    const original = await loadClipTokenizerFiles(ORIGINAL_GZ);
    const hf = await loadClipTokenizerFiles(TOKENIZER_DIR);
    assert.equal(original.vocab.size, hf.vocab.size);
    for (const [token, id] of hf.vocab) assert.equal(original.vocab.get(token), id, token);
    assert.deepEqual(original.merges, hf.merges);
  });
});

// Tricky inputs. Texts quoted from tokenization.jsonl carry its ids, so these run with no
// file but the vocabulary; each variant must give the same ids as the text it varies, which
// the original tokenizer (without ftfy) was checked to do.
const bpeOf = {
  // "don't stop believin'"
  contractions: [847, 713, 1691, 4972, 530, 262],
  // "3.14159 is pi; 1,000,000 dollars"
  numbers: [274, 269, 272, 275, 272, 276, 280, 533, 5357, 282, 272, 267, 271, 271, 271, 267, 271, 271, 271, 10669],
  // "naïve café résumé"
  accents: [1097, 35689, 563, 15304, 29106, 7054, 4166],
  // "Straße über Äpfel"
  german: [1894, 127, 253, 324, 6522, 1516, 10896, 79, 20304],
  // "東京タワー の 写真"
  cjk: [48338, 21078, 105, 34941, 2429, 107, 30391, 4813, 362, 44653, 33440, 509],
  // "🐱 cat emoji 🐶🐶"
  emoji: [22979, 2368, 16327, 14466, 10631],
  // "multiple     spaces\tand\nnewlines"
  whitespace: [6470, 9006, 537, 1218, 3418],
  // "&amp; &lt;html&gt; entities"
  entities: [261, 283, 18231, 285, 38134],
  // "hello world"
  helloWorld: [3306, 1002],
  // "Hello, World!!"
  punctuation: [3306, 267, 1002, 748],
};
const tricky: [string, number[]][] = [
  ["don't stop believin'", bpeOf.contractions],
  ["DON'T STOP BELIEVIN'", bpeOf.contractions],
  ["don&#39;t stop believin&#x27;", bpeOf.contractions],
  ["3.14159 is pi; 1,000,000 dollars", bpeOf.numbers],
  ["naïve café résumé", bpeOf.accents],
  ["NAÏVE CAFÉ RÉSUMÉ", bpeOf.accents],
  ["Straße über Äpfel", bpeOf.german],
  ["東京タワー の 写真", bpeOf.cjk],
  ["🐱 cat emoji 🐶🐶", bpeOf.emoji],
  ["multiple     spaces\tand\nnewlines", bpeOf.whitespace],
  // U+2028 is a line break to ftfy, U+3000 a full-width space, U+00A0 whitespace to Python's regex module.
  ["\u3000 multiple\u00a0 spaces\r\nand\u2028newlines ", bpeOf.whitespace],
  ["&amp; &lt;html&gt; entities", bpeOf.entities],
  // Unescaped twice, as the original.
  ["&amp;amp; &amp;lt;html&amp;gt; entities", bpeOf.entities],
  ["HELLO   WORLD", bpeOf.helloWorld],
  ["Hello, World!!", bpeOf.punctuation],
  ["HELLO,   WORLD!!", bpeOf.punctuation],
  // Spelled-out special tokens become the special ids, in any case.
  ["<|endoftext|>", [EOT]],
  ["<|ENDOFTEXT|>", [EOT]],
  ["", []],
];
// Texts that the original splits like their counterpart; their own ids are not in the fixtures.
const sameAs: [string, string][] = [
  ["a\u0345b", "a b"], // U+0345 matches no class of the pattern under IGNORECASE
  ["x\u2028y", "x y"], // ftfy makes U+2028 a line break
  ["x\u0085y", "x\u2026y"], // ftfy reads a C1 control as its Windows-1252 character
  ["\u201ccaf\u00c3\u00a9\u201d \ufb01sh\uff01", '"caf\u00e9" fish!'], // ftfy: quotes, mojibake, ligature, full width
  ["&ampfoo", "&foo"],
  ["&notin", "&not;in"],
];

describe("tricky strings give the original ids from every format", { skip }, () => {
  const tokenizers: CLIPTokenizer[] = [];
  before(async () => {
    for (const [, source] of formats) tokenizers.push(await CLIPTokenizer.fromPretrained(source()));
  });
  for (const [text, expected] of tricky) {
    it(label(text), () => {
      for (const tok of tokenizers) assert.deepEqual(tok.encode(text), expected);
    });
  }
  for (const [text, twin] of sameAs) {
    it(`${label(text)} splits like ${label(twin)}`, () => {
      for (const tok of tokenizers) assert.deepEqual(tok.encode(text), tok.encode(twin));
    });
  }
  it("U+FEFF is removed, as ftfy removes byte-order marks", () => {
    const tok = tokenizers[0]!;
    assert.deepEqual(tok.encode("\ufeffhello\ufeff world"), bpeOf.helloWorld);
  });
});

describe("padding, truncation and the pad token", { skip }, () => {
  let original: CLIPTokenizer;
  let hf: CLIPTokenizer;
  const cat = referenceCases[0]!; // "a photo of a cat"
  const long = referenceCases.find((c) => c.bpe.length > 75)!;
  before(async () => {
    original = await CLIPTokenizer.fromPretrained(TOKENIZER_DIR);
    hf = await CLIPTokenizer.fromPretrained(HF_FOLDER);
  });

  it("a Hugging Face folder pads with its tokenizer_config pad token, <|endoftext|>", () => {
    assert.equal(hf.padTokenId, EOT);
    const [row] = hf.tokenize(cat.text).inputIds;
    assert.deepEqual(row, cat.ids.map((id, i) => (i > cat.bpe.length ? EOT : id)));
    assert.deepEqual(original.tokenize(cat.text).inputIds[0], cat.ids);
  });

  it("special_tokens_map.json names the pad token when tokenizer_config.json does not", async () => {
    const folder = mkdtempSync(join(scratch, "map-"));
    for (const name of ["vocab.json", "merges.txt"]) symlinkSync(join(TOKENIZER_DIR, name), join(folder, name));
    writeFileSync(join(folder, "special_tokens_map.json"), JSON.stringify({ pad_token: { content: "<|endoftext|>" } }));
    assert.equal((await CLIPTokenizer.fromPretrained(folder)).padTokenId, EOT);
  });

  it("padTokenId overrides the files' pad token", () => {
    const [row] = hf.tokenize(cat.text, { padTokenId: 0 }).inputIds;
    assert.deepEqual(row, cat.ids);
  });

  it('padding "longest" pads to the longest row, false pads nothing', () => {
    const texts = ["a diagram", cat.text];
    const longest = original.tokenize(texts, { padding: "longest" });
    assert.deepEqual(longest.inputIds, [[SOT, 320, 22697, EOT, 0, 0, 0], cat.ids.slice(0, 7)]);
    assert.deepEqual(longest.attentionMask, [[1, 1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1]]);
    const ragged = original.tokenize(texts, { padding: false });
    assert.deepEqual(ragged.inputIds, [[SOT, 320, 22697, EOT], cat.ids.slice(0, 7)]);
    assert.deepEqual(ragged.attentionMask, [[1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1]]);
  });

  it("truncation keeps EOT in the last position", () => {
    assert.deepEqual(original.tokenize(cat.text, { contextLength: 5 }).inputIds, [[SOT, 320, 1125, 539, EOT]]);
    const [row] = original.tokenize(long.text).inputIds;
    assert.deepEqual(row, [SOT, ...long.bpe.slice(0, 75), EOT]);
  });

  it("a text that fits exactly is not cut", () => {
    assert.deepEqual(original.tokenize(cat.text, { contextLength: 7, truncate: false }).inputIds, [cat.ids.slice(0, 7)]);
  });

  it("truncate: false throws a TokenizerError for a text that is too long", () => {
    assert.throws(
      () => original.tokenize(cat.text, { contextLength: 6, truncate: false }),
      (e) => e instanceof TokenizerError && e.code === "E_TOKENIZER" && /7 tokens.*contextLength 6/.test(e.message),
    );
  });

  it("rejects a context with no room for SOT and EOT", () => {
    assert.throws(() => original.tokenize("a", { contextLength: 1 }), ArgumentError);
  });
});

describe("decode reverses encode as the original", { skip }, () => {
  let tok: CLIPTokenizer;
  before(async () => {
    tok = await CLIPTokenizer.fromPretrained(TOKENIZER_DIR);
  });
  // Expected texts printed by the original `SimpleTokenizer.decode(encode(text))`.
  const cases: [string, string][] = [
    ["Hello, World!!", "hello , world !! "],
    ["don't stop believin'", "don 't stop believin ' "],
    ["3.14159 is pi; 1,000,000 dollars", "3 . 1 4 1 5 9 is pi ; 1 , 0 0 0 , 0 0 0 dollars "],
    ["🐱 cat emoji 🐶🐶", "🐱 cat emoji 🐶🐶 "],
    ["東京タワー の 写真", "東京タワー の 写真 "],
    ["&amp; &lt;html&gt; entities", "& < html > entities "],
  ];
  for (const [text, expected] of cases) {
    it(label(text), () => assert.equal(tok.decode(tok.encode(text)), expected));
  }

  it("special tokens are kept unless skipped", () => {
    const [row] = tok.tokenize("a photo of a cat", { padding: false }).inputIds;
    assert.equal(tok.decode(row!), "<|startoftext|>a photo of a cat <|endoftext|>");
    assert.equal(tok.decode(row!, { skipSpecialTokens: true }), "a photo of a cat ");
  });

  it("re-encoding the decoded text gives the same ids for every reference case", () => {
    for (const { text, bpe } of referenceCases) assert.deepEqual(tok.encode(tok.decode(bpe)), bpe, text);
  });

  it("an id outside the vocabulary is a TokenizerError", () => {
    assert.throws(() => tok.decode([49408]), (e) => e instanceof TokenizerError && /49408/.test(e.message));
  });
});

describe("loading errors name the path", () => {
  it("a missing path is a NotFoundError", async () => {
    const path = join(scratch, "no-such-model");
    await assert.rejects(CLIPTokenizer.fromPretrained(path), (e) => e instanceof NotFoundError && e.message.includes(path));
  });

  it("a folder without tokenizer files is a NotFoundError naming the folder", async () => {
    const folder = mkdtempSync(join(scratch, "empty-"));
    await assert.rejects(
      CLIPTokenizer.fromPretrained(folder),
      (e) => e instanceof NotFoundError && e.message.startsWith(folder) && e.message.includes("vocab.json"),
    );
  });

  it("vocab.json without merges.txt is a NotFoundError naming merges.txt", async () => {
    const folder = mkdtempSync(join(scratch, "half-"));
    writeFileSync(join(folder, "vocab.json"), "{}");
    await assert.rejects(
      CLIPTokenizer.fromPretrained(folder),
      (e) => e instanceof NotFoundError && e.message.includes(join(folder, "merges.txt")),
    );
  });

  it("a JSON file that is not a tokenizer is a FileFormatError naming it", async () => {
    const file = join(scratch, "config.json");
    writeFileSync(file, JSON.stringify({ model_type: "clip" }));
    await assert.rejects(CLIPTokenizer.fromPretrained(file), (e) => e instanceof FileFormatError && e.file === file);
  });

  it("a vocabulary without the special tokens is a FileFormatError naming the file", async () => {
    const file = join(scratch, "no-specials.json");
    writeFileSync(file, JSON.stringify({ model: { type: "BPE", vocab: { a: 0 }, merges: [] } }));
    await assert.rejects(
      CLIPTokenizer.fromPretrained(file),
      (e) => e instanceof FileFormatError && e.file === file && e.message.includes("<|startoftext|>"),
    );
  });

  it("a pad token missing from the vocabulary is a FileFormatError naming the config", { skip }, async () => {
    const folder = mkdtempSync(join(scratch, "badpad-"));
    for (const name of ["vocab.json", "merges.txt"]) symlinkSync(join(TOKENIZER_DIR, name), join(folder, name));
    writeFileSync(join(folder, "tokenizer_config.json"), JSON.stringify({ pad_token: "<pad>" }));
    await assert.rejects(
      CLIPTokenizer.fromPretrained(folder),
      (e) => e instanceof FileFormatError && e.file === join(folder, "tokenizer_config.json"),
    );
  });
});
