/**
 * PaddleOCR's sorted_boxes: top to bottom by the top-left corner, then boxes whose tops
 * are within 10 px of each other (one line, split by the detector) read left to right.
 */
export function sortReadingOrder<T extends { x0: number; y0: number }>(boxes: readonly T[], sameLinePx = 10): T[] {
  const s = [...boxes].sort((a, b) => a.y0 - b.y0 || a.x0 - b.x0);
  for (let i = 0; i < s.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      const a = s[j] as T;
      const b = s[j + 1] as T;
      if (Math.abs(b.y0 - a.y0) < sameLinePx && b.x0 < a.x0) {
        s[j] = b;
        s[j + 1] = a;
      } else break;
    }
  }
  return s;
}
