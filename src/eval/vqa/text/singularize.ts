/**
 * `pattern.en.singularize` (Pattern 3.6, the version CHAIR's code pins), which CHAIR applies to
 * every caption word before looking it up among the object words. Its rules are kept with
 * their quirks, since the object vocabulary must be written against what they produce: "bus"
 * becomes "bu" and "glass" "glas" (hence CHAIR's "wine glas" rule), while "buses" becomes "bus".
 */

// Words left as they are when they end the given word ("debris", "news", ...).
const UNINFLECTED = [
  "bison", "debris", "headquarters", "pincers", "trout", "bream", "diabetes", "herpes", "pliers", "tuna", "breeches",
  "djinn", "high-jinks", "proceedings", "whiting", "britches", "eland", "homework", "rabies", "wildebeest", "carp", "elk",
  "innings", "salmon", "chassis", "flounder", "jackanapes", "scissors", "christmas", "gallows", "mackerel", "series",
  "clippers", "georgia", "measles", "shears", "cod", "graffiti", "mews", "species", "contretemps", "mumps", "swine",
  "corps", "news", "swiss",
];
const UNCOUNTABLE = [
  "advice", "equipment", "happiness", "luggage", "news", "software", "bread", "fruit", "information", "mathematics",
  "progress", "understanding", "butter", "furniture", "ketchup", "mayonnaise", "research", "water", "cheese", "garbage",
  "knowledge", "meat", "rice", "electricity", "gravel", "love", "mustard", "sand",
];
// Plurals in -ies of nouns in -ie. "^pie" and "^tie" are literal in Pattern (a caret in a plain
// string, not an anchor), so "pies" and "ties" do not match them.
const IE_NOUNS = [
  "alergie", "cutie", "hoagie", "newbie", "softie", "veggie", "auntie", "doggie", "hottie", "nightie", "sortie", "weenie",
  "beanie", "eyrie", "indie", "oldie", "stoolie", "yuppie", "birdie", "freebie", "junkie", "^pie", "sweetie", "zombie",
  "bogie", "goonie", "laddie", "pixie", "techie", "bombie", "groupie", "laramie", "quickie", "^tie", "collie", "hankie",
  "lingerie", "reverie", "toughie", "cookie", "hippie", "meanie", "rookie", "valkyrie",
];
// Irregular plural endings, tried in this order.
const IRREGULAR: Array<[string, string]> = [
  ["atlantes", "atlas"], ["atlases", "atlas"], ["axes", "axe"], ["beeves", "beef"], ["brethren", "brother"],
  ["children", "child"], ["corpora", "corpus"], ["corpuses", "corpus"], ["ephemerides", "ephemeris"], ["feet", "foot"],
  ["ganglia", "ganglion"], ["geese", "goose"], ["genera", "genus"], ["genii", "genie"], ["graffiti", "graffito"],
  ["helves", "helve"], ["kine", "cow"], ["leaves", "leaf"], ["loaves", "loaf"], ["men", "man"], ["mongooses", "mongoose"],
  ["monies", "money"], ["moves", "move"], ["mythoi", "mythos"], ["numena", "numen"], ["occipita", "occiput"],
  ["octopodes", "octopus"], ["opera", "opus"], ["opuses", "opus"], ["our", "my"], ["oxen", "ox"], ["penes", "penis"],
  ["penises", "penis"], ["people", "person"], ["sexes", "sex"], ["soliloquies", "soliloquy"], ["teeth", "tooth"],
  ["testes", "testis"], ["trilbys", "trilby"], ["turves", "turf"], ["zoa", "zoon"],
];
// Suffix rules, first match wins; unmatched groups in a replacement become empty, as in Pattern.
const RULES: Array<[RegExp, string]> = [
  [/(.)ae$/i, "$1a"],
  [/(.)itis$/i, "$1itis"],
  [/(.)eaux$/i, "$1eau"],
  [/(quiz)zes$/i, "$1"],
  [/(matr)ices$/i, "$1ix"],
  [/(ap|vert|ind)ices$/i, "$1ex"],
  [/^(ox)en/i, "$1"],
  [/(alias|status)es$/i, "$1"],
  [/([octop|vir])i$/i, "$1us"],
  [/(cris|ax|test)es$/i, "$1is"],
  [/(shoe)s$/i, "$1"],
  [/(o)es$/i, "$1"],
  [/(bus)es$/i, "$1"],
  [/([m|l])ice$/i, "$1ouse"],
  [/(x|ch|ss|sh)es$/i, "$1"],
  [/(m)ovies$/i, "$1ovie"],
  [/(.)ombies$/i, "$1ombie"],
  [/(s)eries$/i, "$1eries"],
  [/([^aeiouy]|qu)ies$/i, "$1y"],
  [/([aeo]l)ves$/, "$1f"],
  [/([^d]ea)ves$/, "$1f"],
  [/arves$/, "arf"],
  [/erves$/, "erve"],
  [/([nlw]i)ves$/, "$1fe"],
  [/([lr])ves$/i, "$1f"],
  [/([aeo])ves$/, "$1ve"],
  [/(sive)s$/i, "$1"],
  [/(tive)s$/i, "$1"],
  [/(hive)s$/i, "$1"],
  [/([^f])ves$/i, "$1fe"],
  [/(^analy)ses$/i, "$1sis"],
  [/((a)naly|(b)a|(d)iagno|(p)arenthe|(p)rogno|(s)ynop|(t)he)ses$/i, "$1$2sis"],
  [/(.)opses$/i, "$1opsis"],
  [/(.)yses$/i, "$1ysis"],
  [/(h|d|r|o|n|b|cl|p)oses$/i, "$1ose"],
  [/(fruct|gluc|galact|lact|ket|malt|rib|sacchar|cellul)ose$/i, "$1ose"],
  [/(.)oses$/i, "$1osis"],
  [/([ti])a$/i, "$1um"],
  [/(n)ews$/i, "$1ews"],
  [/s$/i, ""],
];

// Prepositions of compounds such as "mothers-in-law", whose first part is the noun.
const PREPOSITIONS = new Set([
  "about", "before", "during", "of", "till", "above", "behind", "except", "off", "to", "across", "below", "for", "on",
  "under", "after", "beneath", "from", "onto", "until", "among", "beside", "in", "out", "unto", "around", "besides",
  "into", "over", "upon", "at", "between", "near", "since", "with", "athwart", "betwixt", "beyond", "but", "by",
]);

/**
 * The singular of an English noun by Pattern's rules.
 *
 * @example
 * singularize("giraffes");   // "giraffe"
 * singularize("people");     // "person"
 */
export function singularize(word: string): string {
  if (word.includes("-")) {
    const parts = word.split("-");
    if (parts.length > 1 && PREPOSITIONS.has(parts[1])) return `${singularize(parts[0])}-${parts.slice(1).join("-")}`;
  }
  if (word.endsWith("'")) return `${singularize(word.slice(0, -1))}'s`;
  const w = word.toLowerCase();
  if (UNINFLECTED.some((x) => x.endsWith(w)) || UNCOUNTABLE.some((x) => x.endsWith(w))) return word;
  if (IE_NOUNS.some((x) => w.endsWith(`${x}s`))) return w;
  for (const [plural, singular] of IRREGULAR) {
    if (w.endsWith(plural)) return word.slice(0, word.length - plural.length) + singular;
  }
  for (const [pattern, replacement] of RULES) {
    if (pattern.test(word)) return word.replace(pattern, replacement);
  }
  return word;
}
