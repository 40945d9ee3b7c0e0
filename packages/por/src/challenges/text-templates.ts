import type { Prng } from "./prng.ts";
import { ADJECTIVES, CITIES, CURRENCIES, MONTHS, NOUNS, PREPOSITIONS, VERBS } from "./word-lists.ts";

// Short lines of the kinds customers send to OCR (invoice headers, amounts, dates, codes,
// addresses) and sentences of the kind they embed. Each template is a pure function of the
// PRNG.

const digits = (prng: Prng, count: number) => Array.from({ length: count }, () => String(prng.int(0, 9))).join("");
const capital = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
const letters = (prng: Prng, count: number) => Array.from({ length: count }, () => String.fromCharCode(prng.int(65, 90))).join("");

const LINE_TEMPLATES: readonly ((prng: Prng) => string)[] = [
  (p) => `${capital(p.pick(NOUNS))} ${p.int(1000, 9999)}-${digits(p, 3)}`,
  (p) => `Total: ${p.int(1, 9999)}.${digits(p, 2)} ${p.pick(CURRENCIES)}`,
  (p) => `${p.int(1, 28)} ${p.pick(MONTHS)} ${p.int(2020, 2030)}`,
  (p) => `Ref ${letters(p, 3)}-${digits(p, 5)}`,
  (p) => `${capital(p.pick(ADJECTIVES))} ${p.pick(NOUNS)} in ${p.pick(CITIES)}`,
  (p) => `${p.int(1, 250)} ${capital(p.pick(NOUNS))} Street, ${p.pick(CITIES)}`,
  (p) => `Qty ${p.int(1, 99)} x ${p.int(1, 999)}.${digits(p, 2)}`,
  (p) => `The ${p.pick(NOUNS)} ${p.pick(VERBS)} the ${p.pick(NOUNS)}`,
];

/** One line of document-like text, 6..40 characters. */
export function documentLine(prng: Prng): string {
  return prng.pick(LINE_TEMPLATES)(prng);
}

/** One English sentence: "The <adj> <noun> <verb> the <noun> <prep> the <noun> in <city>." */
export function sentence(prng: Prng): string {
  const parts = [`The ${prng.pick(ADJECTIVES)} ${prng.pick(NOUNS)} ${prng.pick(VERBS)} the ${prng.pick(NOUNS)}`];
  if (prng.chance(0.5)) parts.push(`${prng.pick(PREPOSITIONS)} the ${prng.pick(NOUNS)}`);
  if (prng.chance(0.5)) parts.push(`in ${prng.pick(CITIES)}`);
  if (prng.chance(0.3)) parts.push(`on ${prng.int(1, 28)} ${prng.pick(MONTHS)}`);
  return `${parts.join(" ")}.`;
}
