/**
 * Answer normalisation cases, each following a rule of the official code: vqaEval.py
 * (GT-Vision-Lab/VQA master: processPunctuation, processDigitArticle) and LLaVA's
 * m4c_evaluator.py EvalAIAnswerProcessor. The expected values were also checked against
 * those functions run under Python 3.11.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { evalAiAnswer, normalizeVqaAnswer, vqaPunctuation } from "./vqa-answer.js";

test("vqaEval.py's normalisation of a model answer", () => {
  const cases: Array<[string, string, string]> = [
    ["Two dogs.", "2 dogs", "number words become digits; the final period goes; lowercased"],
    ["A Dog", "dog", "articles a/an/the are dropped"],
    ["none", "0", "'none' is in the number map as 0"],
    ["ten\tthree\n", "10 3", "tabs and newlines become spaces before stripping"],
    ["yes, it is", "yes it is", "',' followed by a space is deleted"],
    ["black/white", "black white", "'/' with no space next to it becomes a space"],
    ["left - hand", "left hand", "' -' occurs, so '-' is deleted; split() then joins the words with one space"],
    ["(a) cat", "cat", "') ' occurs so ')' is deleted, '(' has no space next to it so becomes one; 'a' is an article"],
    ["an apple, a pear; the plum!", "apple pear plum", "', ' and '; ' delete their marks; the lone '!' becomes a space"],
    ["1,000", "1000", "a comma between digits makes every mark be deleted, not spaced"],
    ["1,,000", "1 000", "vqaEval's comma test wants exactly one comma between digits"],
    ["3.5", "3.5", "a period before a digit stays"],
    ["e.g.", "eg", "periods not before a digit go"],
    [".".repeat(33) + "x", ".x", "re.UNICODE (32) is passed as re.sub's count: only 32 periods go"],
    ["the man's hat", "man's hat", "the apostrophe is not in master's punctuation list"],
    ["dont know", "don't know", "contractions are restored from the official table"],
    ["Im here", "im here", "the table's capitalised keys ('Im') never match after lowercasing"],
    ["it's 2:30", "it's 2:30", "':' is not in the list either"],
    ["a_b", "b", "'_' becomes a space, then 'a' is an article"],
    ["#1", "#1", "'#' is not punctuation here"],
    ["  \u00a0yes\u00a0 ", "yes", "strip() removes Python whitespace, NBSP included"],
  ];
  for (const [answer, want, rule] of cases) assert.equal(normalizeVqaAnswer(answer), want, `${JSON.stringify(answer)}: ${rule}`);
});

test("the punctuation rule alone (applied to disagreeing human answers)", () => {
  assert.equal(vqaPunctuation("black/white"), "black white");
  // No number words or articles: those rules are not applied to human answers.
  assert.equal(vqaPunctuation("the two"), "the two");
});

test("LLaVA's EvalAI answer processor", () => {
  const cases: Array<[string, string, string]> = [
    ["The poster shows a 10% discount.", "poster shows 10% discount", "m4c_evaluator.py's own example"],
    ["Nike's shoe", "nike 's shoe", "\"'s\" is split off before anything else"],
    ["What?", "what", "question marks are dropped first"],
    ["Yes, it is.", "yes it is", "commas are dropped first"],
    ["1,,000", "1000", "commas go before the digit-comma test, which therefore never fires"],
    ["left-hand", "left hand", "'-' with no space becomes a space"],
    ["it's 2:30", "it 's 2:30", "':' is kept; \"'s\" split"],
    ["Two.", "2", "the same number map and period rule"],
  ];
  for (const [answer, want, rule] of cases) assert.equal(evalAiAnswer(answer), want, `${JSON.stringify(answer)}: ${rule}`);
});
