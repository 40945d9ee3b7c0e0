/**
 * The recogniser's classes: 0 is the CTC blank, then one per dictionary line, then the
 * space PaddleOCR appends (use_space_char). ppocr_keys_v1.txt has 6,623 lines → 6,625.
 */
export function ctcCharset(dictionary: string): string[] {
  const lines = dictionary.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  return ["", ...lines, " "];
}

/**
 * Greedy CTC decoding (PaddleOCR's CTCLabelDecode): argmax per time step, merge repeats,
 * drop blanks; the confidence is the mean of the kept steps' maximum probabilities.
 */
export function ctcGreedyDecode(
  probs: Float32Array,
  steps: number,
  classes: number,
  charset: readonly string[],
): { text: string; confidence: number } {
  if (probs.length < steps * classes) throw new RangeError(`CTC output has ${probs.length} values, expected ${steps}×${classes}`);
  if (charset.length !== classes) throw new RangeError(`charset has ${charset.length} classes, the model ${classes}`);
  let prev = -1;
  let text = "";
  let confSum = 0;
  let kept = 0;
  for (let t = 0; t < steps; t++) {
    const base = t * classes;
    let best = 0;
    let bestP = probs[base] as number;
    for (let c = 1; c < classes; c++) {
      const v = probs[base + c] as number;
      if (v > bestP) {
        bestP = v;
        best = c;
      }
    }
    if (best !== 0 && best !== prev) {
      text += charset[best] as string;
      confSum += bestP;
      kept++;
    }
    prev = best;
  }
  return { text, confidence: kept ? confSum / kept : 0 };
}
