/**
 * VQA answer normalisation, as two official tools do it:
 * - `normalizeVqaAnswer`: the VQA challenge's vqaEval.py (GT-Vision-Lab/VQA, master), applied to
 *   a model's answer before it is compared with the ten human answers;
 * - `evalAiAnswer`: the EvalAI answer processor of LLaVA's m4c_evaluator.py (from MMF), which
 *   LLaVA applies to its answers for TextVQA and before submitting VQAv2.
 * Both share the tables below and the punctuation rule; they differ in small ways kept apart
 * here (the comma test, and EvalAI's lowercasing and "'s" split done first).
 */
import { pySplit, pyStrip } from "./python-str.js";

/** Apostrophe-less spellings and the contraction they stand for (the official table, with its oddities). */
const CONTRACTIONS = new Map<string, string>(
  (
    "aint>ain't arent>aren't cant>can't couldve>could've couldnt>couldn't couldn'tve>couldn't've couldnt've>couldn't've " +
    "didnt>didn't doesnt>doesn't dont>don't hadnt>hadn't hadnt've>hadn't've hadn'tve>hadn't've hasnt>hasn't havent>haven't " +
    "hed>he'd hed've>he'd've he'dve>he'd've hes>he's howd>how'd howll>how'll hows>how's Id've>I'd've I'dve>I'd've Im>I'm " +
    "Ive>I've isnt>isn't itd>it'd itd've>it'd've it'dve>it'd've itll>it'll let's>let's maam>ma'am mightnt>mightn't " +
    "mightnt've>mightn't've mightn'tve>mightn't've mightve>might've mustnt>mustn't mustve>must've neednt>needn't notve>not've " +
    "oclock>o'clock oughtnt>oughtn't ow's'at>'ow's'at 'ows'at>'ow's'at 'ow'sat>'ow's'at shant>shan't shed've>she'd've " +
    "she'dve>she'd've she's>she's shouldve>should've shouldnt>shouldn't shouldnt've>shouldn't've shouldn'tve>shouldn't've " +
    "somebody'd>somebodyd somebodyd've>somebody'd've somebody'dve>somebody'd've somebodyll>somebody'll somebodys>somebody's " +
    "someoned>someone'd someoned've>someone'd've someone'dve>someone'd've someonell>someone'll someones>someone's " +
    "somethingd>something'd somethingd've>something'd've something'dve>something'd've somethingll>something'll thats>that's " +
    "thered>there'd thered've>there'd've there'dve>there'd've therere>there're theres>there's theyd>they'd theyd've>they'd've " +
    "they'dve>they'd've theyll>they'll theyre>they're theyve>they've twas>'twas wasnt>wasn't wed've>we'd've we'dve>we'd've " +
    "weve>we've werent>weren't whatll>what'll whatre>what're whats>what's whatve>what've whens>when's whered>where'd " +
    "wheres>where's whereve>where've whod>who'd whod've>who'd've who'dve>who'd've wholl>who'll whos>who's whove>who've " +
    "whyll>why'll whyre>why're whys>why's wont>won't wouldve>would've wouldnt>wouldn't wouldnt've>wouldn't've " +
    "wouldn'tve>wouldn't've yall>y'all yall'll>y'all'll y'allll>y'all'll yall'd've>y'all'd've y'alld've>y'all'd've " +
    "y'all'dve>y'all'd've youd>you'd youd've>you'd've you'dve>you'd've youll>you'll youre>you're youve>you've"
  )
    .split(" ")
    .map((pair) => pair.split(">") as [string, string]),
);

/** Number words up to ten become digits ("none" counts as 0). */
const NUMBER_WORDS = new Map(
  ["none", "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"].map((w, i) => [w, String(Math.max(0, i - 1))]),
);

const ARTICLES = new Set(["a", "an", "the"]);

/** Removed outright, or replaced by a space, depending on the spacing around them (see stripPunctuation). */
const PUNCTUATION = [";", "/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!"];

// vqaEval.py tests for one comma between digits ("1,000"); EvalAI's processor for a run of them.
const VQA_DIGIT_COMMA = /\d,\d/;
const EVALAI_DIGIT_COMMA = /\d,+\d/;

// The official pattern is "(?!<=\d)(\.)(?!\d)": its first group is a lookahead that can never
// fail at a period, so what it removes is a period not followed by a digit ("3.5" keeps its).
const PERIOD = /\.(?!\d)/g;
// Both scripts pass re.UNICODE (32) as re.sub's third positional argument, which is the
// replacement count: only the first 32 such periods go.
const PERIOD_LIMIT = 32;

/**
 * The punctuation rule: each mark is deleted when the original text has it next to a space or
 * has a comma between digits, otherwise it becomes a space; then periods not before a digit go.
 */
function stripPunctuation(text: string, digitComma: RegExp): string {
  const deleteMarks = digitComma.test(text);
  let out = text;
  for (const p of PUNCTUATION) {
    const remove = deleteMarks || text.includes(`${p} `) || text.includes(` ${p}`);
    out = out.split(p).join(remove ? "" : " ");
  }
  let periods = 0;
  return out.replace(PERIOD, (m) => (periods++ < PERIOD_LIMIT ? "" : m));
}

/** Lowercase, number words to digits, articles dropped, contractions restored; words joined by one space. */
function digitsAndArticles(text: string): string {
  return pySplit(text.toLowerCase())
    .map((w) => NUMBER_WORDS.get(w) ?? w)
    .filter((w) => !ARTICLES.has(w))
    .map((w) => CONTRACTIONS.get(w) ?? w)
    .join(" ");
}

/** vqaEval.py's processPunctuation, on its own: what it does to human answers that disagree. */
export function vqaPunctuation(text: string): string {
  return stripPunctuation(text, VQA_DIGIT_COMMA);
}

/**
 * A model's answer as vqaEval.py compares it: newlines and tabs to spaces, stripped,
 * punctuation, then digits and articles.
 *
 * @example
 * normalizeVqaAnswer("Two dogs.");   // "2 dogs"
 */
export function normalizeVqaAnswer(answer: string): string {
  const text = pyStrip(answer.replaceAll("\n", " ").replaceAll("\t", " "));
  return digitsAndArticles(stripPunctuation(text, VQA_DIGIT_COMMA));
}

/**
 * EvalAI's answer processor (LLaVA's m4c_evaluator.py): lowercased, commas and question marks
 * dropped, "'s" split off, then the same punctuation, digit and article rules.
 *
 * @example
 * evalAiAnswer("The poster shows a 10% discount.");   // "poster shows 10% discount"
 */
export function evalAiAnswer(answer: string): string {
  let text = pyStrip(answer.toLowerCase().replaceAll(",", "").replaceAll("?", "").replaceAll("'s", " 's"));
  text = pyStrip(text.replaceAll("\n", " ").replaceAll("\t", " "));
  return digitsAndArticles(stripPunctuation(text, EVALAI_DIGIT_COMMA));
}
