import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Generator } from "../../tensor/random.js";
import { evalQuestions, vqaLines } from "./eval-files.js";
import { instructRecord, pretrainRecord } from "./llava-records.js";
import { allTemplates, CAPTION_PROMPTS, TEST_PHRASINGS, TRAIN_PHRASINGS } from "./phrasings.js";
import { drawSpec, phrase, type Question, QUESTION_KINDS } from "./questions.js";
import type { Scene, SceneItem } from "./scene.js";
import { chooseHeldOutPairs, planSplits, sampleScene } from "./splits.js";
import { loadVocabulary } from "./vocabulary.js";

const vocab = loadVocabulary();
const [trainPlan, , , combosPlan] = planSplits({
  count: 1500, evalCount: 300, cooccur: 0.65, heldOutPairs: chooseHeldOutPairs(vocab, 6, 0), trainingStyles: ["a"], heldOutStyle: "t",
});
const scenes = Array.from({ length: trainPlan.count }, (_, i) => sampleScene(vocab, trainPlan, i, 1).scene);

// The rules, restated from the boxes alone (not through facts.ts), so that a wrong answer in
// the generator cannot be hidden by the same mistake in the check.
const center = (item: SceneItem): [number, number] => [(item.box[0] + item.box[2]) / 2, (item.box[1] + item.box[3]) / 2];
type Ref = { kind: string; name: string; color?: string | null };
const fits = (item: SceneItem, ref: Ref): boolean => item.kind === ref.kind && item.name === ref.name && (ref.color == null || item.color === ref.color);
const only = (scene: Scene, ref: Ref): SceneItem => {
  const found = scene.items.filter((i) => fits(i, ref));
  assert.equal(found.length, 1, `${scene.id}: ${JSON.stringify(ref)} is not unique`);
  return found[0];
};

function expectedAnswer(scene: Scene, q: Question): string {
  const spec = q.spec;
  switch (spec.kind) {
    case "exist":
    case "count": {
      const n = spec.target.kind === "any" ? scene.items.length : scene.items.filter((i) => fits(i, spec.target as Ref)).length;
      return spec.kind === "count" ? String(n) : n > 0 ? "yes" : "no";
    }
    case "color":
      return only(scene, { kind: "shape", name: spec.shape }).color!;
    case "shape": {
      const colored = scene.items.filter((i) => i.color === spec.color);
      assert.equal(colored.length, 1, `${scene.id}: "the ${spec.color} object" is not unique`);
      return colored[0].name;
    }
    case "position": {
      const c = center(only(scene, spec.ref))[spec.axis === "horizontal" ? 0 : 1];
      assert.ok(c < 0.4 * 256 || c > 0.6 * 256, `${scene.id}: position asked near the middle (${c})`);
      return spec.axis === "horizontal" ? (c < 128 ? "left" : "right") : c < 128 ? "top" : "bottom";
    }
    case "relation": {
      const [a, b] = [center(only(scene, spec.a)), center(only(scene, spec.b))];
      const k = spec.relation === "left of" || spec.relation === "right of" ? 0 : 1;
      assert.ok(Math.abs(a[k] - b[k]) >= 0.18 * 256, `${scene.id}: relation asked between close items`);
      const yes = spec.relation === "left of" || spec.relation === "above" ? a[k] < b[k] : a[k] > b[k];
      return yes ? "yes" : "no";
    }
    case "describe":
      return q.answer;
  }
}

/** The describe sentence names every item, with the right number, and nothing that is absent. */
function checkDescription(scene: Scene, sentence: string): void {
  const words = ["no", "one", "two", "three", "four", "five", "six"];
  const groups = new Map<string, number>();
  for (const i of scene.items) groups.set(i.color ? `${i.color} ${i.name}` : i.name, (groups.get(i.color ? `${i.color} ${i.name}` : i.name) ?? 0) + 1);
  for (const [noun, n] of groups) {
    const name = noun.split(" ").at(-1)!;
    const spec = vocab.objects.find((o) => o.name === name) ?? vocab.shapes.find((s) => s.name === name)!;
    const said = n === 1 ? new RegExp(`\\ban? ${noun}\\b`) : new RegExp(`\\b${words[n]} ${noun.replace(name, spec.plural)}\\b`);
    assert.match(sentence, said, `${scene.id}: ${n} x ${noun}`);
  }
  for (const o of vocab.objects) if (!groups.has(o.name)) assert.doesNotMatch(sentence, new RegExp(`\\b(${o.name}|${o.plural})\\b`), `${scene.id}: ${o.name} is absent`);
}

describe("scene questions", () => {
  it("are answered as the boxes say, for every kind and in both phrasing sets", () => {
    const g = new Generator(3);
    const asked = new Map<string, number>();
    for (const scene of scenes) {
      for (const kind of QUESTION_KINDS) {
        const spec = drawSpec(g, kind, scene, vocab);
        if (!spec) continue;
        asked.set(kind, (asked.get(kind) ?? 0) + 1);
        for (const phrasings of [TRAIN_PHRASINGS, TEST_PHRASINGS]) {
          const q = phrase(g, spec, scene, vocab, phrasings);
          assert.equal(q.answer, expectedAnswer(scene, q), `${scene.id}: ${q.text}`);
          assert.doesNotMatch(q.text, /[{}]|\ba [aeiou]/, q.text);
          if (kind === "describe") checkDescription(scene, q.answer);
          // The sentence answer says the same as the short one.
          if (q.answer === "yes" || q.answer === "no") assert.ok(q.sentence.startsWith(q.answer === "yes" ? "Yes" : "No"), q.sentence);
          else if (kind !== "count") assert.ok(q.sentence.includes(q.answer), `${q.sentence} / ${q.answer}`);
        }
      }
    }
    // Every kind is asked in a good share of scenes.
    for (const kind of QUESTION_KINDS) assert.ok((asked.get(kind) ?? 0) > scenes.length * 0.3, `${kind}: ${asked.get(kind)}`);
  });

  it("balance yes and no, and include counts of 0, in the training conversations", () => {
    const answers = scenes.flatMap((scene, i) => instructRecord(new Generator(i), scene, vocab, TRAIN_PHRASINGS).conversations.filter((t) => t.from === "gpt").map((t) => t.value));
    const yes = answers.filter((a) => /^yes\b/i.test(a)).length;
    const no = answers.filter((a) => /^no\b/i.test(a)).length;
    assert.ok(Math.abs(yes / (yes + no) - 0.5) < 0.04, `yes ${yes}, no ${no}`);
    const counts = answers.filter((a) => /^\d$/.test(a));
    const zeros = counts.filter((a) => a === "0").length;
    assert.ok(zeros > counts.length * 0.12 && zeros < counts.length * 0.3, `${zeros} zeros among ${counts.length} counts`);
    assert.deepEqual([...new Set(counts)].sort(), ["0", "1", "2", "3", "4", "5", "6"]);
    assert.ok(answers.some((a) => /^There are no /.test(a)), "a zero count in sentence form");
  });

  it("ask exist questions yes once and no once per test scene, about the held-out pair where there is one", () => {
    const combos = Array.from({ length: combosPlan.count }, (_, i) => sampleScene(vocab, combosPlan, i, 1).scene);
    let yes = 0;
    let total = 0;
    combos.forEach((scene, i) => {
      const pair = combosPlan.required[i % combosPlan.required.length];
      const questions = evalQuestions(new Generator(i), scene, vocab, TEST_PHRASINGS, pair);
      const exist = questions.filter((q) => q.spec.kind === "exist");
      assert.deepEqual(exist.map((q) => q.answer), ["yes", "no"]);
      assert.ok(pair.some((name) => exist[0].text.includes(name)), `${scene.id}: ${exist[0].text} is not about ${pair}`);
      for (const q of questions) {
        assert.equal(q.answer, expectedAnswer(scene, q), `${scene.id}: ${q.text}`);
        if (q.answer === "yes" || q.answer === "no") {
          total++;
          if (q.answer === "yes") yes++;
        }
      }
      for (const line of vqaLines(scene, questions, vocab.answer_suffix)) {
        assert.equal(line.question.text.endsWith(`\n${vocab.answer_suffix}`), line.question.category !== "describe");
        assert.equal(line.question.question_id, line.answer.question_id);
      }
    });
    assert.ok(Math.abs(yes / total - 0.5) < 0.05, `yes ${yes} of ${total}`);
  });

  it("use test phrasings that never occur in training", () => {
    const train = new Set([...allTemplates(TRAIN_PHRASINGS), ...CAPTION_PROMPTS]);
    for (const t of allTemplates(TEST_PHRASINGS)) assert.ok(!train.has(t), t);
    // Filled in, too: no training question (any scene, any target) reads like a test question.
    const g = new Generator(9);
    const trainTexts = new Set(scenes.flatMap((scene) => QUESTION_KINDS.flatMap((kind) => {
      const spec = drawSpec(g, kind, scene, vocab);
      return spec ? [phrase(g, spec, scene, vocab, TRAIN_PHRASINGS).text] : [];
    })));
    for (const scene of scenes.slice(0, 300)) {
      for (const q of evalQuestions(g, scene, vocab, TEST_PHRASINGS)) assert.ok(!trainTexts.has(q.text), q.text);
    }
    assert.ok(trainTexts.size > 1000);
  });

  it("make LLaVA records with one <image>, first in the first human turn, alternating turns", () => {
    const g = new Generator(4);
    let short = 0;
    for (const scene of scenes.slice(0, 400)) {
      for (const record of [pretrainRecord(g, scene, vocab), instructRecord(g, scene, vocab, TRAIN_PHRASINGS)]) {
        assert.deepEqual(Object.keys(record), ["id", "image", "conversations"]);
        assert.equal(record.image, scene.image);
        const turns = record.conversations;
        assert.ok(turns.length >= 2 && turns.length % 2 === 0);
        turns.forEach((t, k) => {
          assert.equal(t.from, k % 2 === 0 ? "human" : "gpt");
          assert.equal(t.value.split("<image>").length - 1, k === 0 ? 1 : 0, t.value);
        });
        assert.ok(turns[0].value.startsWith("<image>\n"));
        const suffixed = turns.filter((t) => t.from === "human" && t.value.endsWith(`\n${vocab.answer_suffix}`)).length;
        // A record is all short answers (each question suffixed, one word) or all sentences.
        assert.ok(suffixed === 0 || suffixed === turns.length / 2, JSON.stringify(turns));
        if (suffixed > 0) {
          short++;
          for (const t of turns.filter((t) => t.from === "gpt")) assert.match(t.value, /^([a-z]+|\d)$/, t.value);
        }
      }
    }
    assert.ok(short > 150 && short < 350, `${short} short-answer records of 400`);
  });
});
