/**
 * DB (Differentiable Binarization) post-processing, as PaddleOCR's DBPostProcess does it
 * for PP-OCRv4, with axis-aligned boxes instead of minimum-area rotated rectangles.
 */
export interface DbParams {
  binThreshold: number;
  boxThreshold: number;
  unclipRatio: number;
  minSide: number;
  maxCandidates: number;
}

export const DB_PARAMS: Readonly<DbParams> = {
  /** A pixel is text when its probability exceeds this (det_db_thresh). */
  binThreshold: 0.3,
  /** A box is kept when the mean probability inside it reaches this (det_db_box_thresh). */
  boxThreshold: 0.6,
  /**
   * DB shrinks text regions in training; boxes grow back by area × ratio / perimeter
   * (det_db_unclip_ratio). PaddleOCR's default is 1.5, but the recogniser drops spaces
   * when a crop's margin is thin. Lines read back exactly out of 324 rendered ones (27
   * strings, DejaVu Sans 22–60 px, two layouts): 299 at 1.5, 318 at 1.8, 323 at 2.0,
   * 324 at 2.4; with lines packed at 1.25× the font size, where bigger boxes could take
   * in the neighbouring line, 147 of 162 at 1.5 and 155–156 from 1.8 to 2.4.
   */
  unclipRatio: 2.0,
  /** Shorter side below this (in detector pixels) is noise (min_size). */
  minSide: 3,
  /** PaddleOCR's max_candidates: a bound on the components examined. */
  maxCandidates: 1_000,
};

export interface DetBox {
  /** Detector-map coordinates; x1/y1 exclusive. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  score: number;
}

/**
 * Thresholds the probability map, takes 8-connected components (OpenCV's findContours
 * sees regions that way), scores each box by the mean probability of the whole box (as
 * box_score_fast does, so loose boxes score lower), and unclips the survivors.
 */
export function dbBoxes(prob: Float32Array, width: number, height: number, p: Readonly<DbParams> = DB_PARAMS): DetBox[] {
  const n = width * height;
  if (prob.length < n) throw new RangeError(`probability map has ${prob.length} values, expected ${n}`);
  const seen = new Uint8Array(n);
  const stack = new Int32Array(n);
  const boxes: DetBox[] = [];
  let candidates = 0;
  for (let start = 0; start < n && candidates < p.maxCandidates; start++) {
    if (seen[start] || (prob[start] as number) <= p.binThreshold) continue;
    candidates++;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let minX = width;
    let minY = height;
    let maxX = -1;
    let maxY = -1;
    while (top > 0) {
      const i = stack[--top] as number;
      const x = i % width;
      const y = (i - x) / width;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const j = ny * width + nx;
          if (!seen[j] && (prob[j] as number) > p.binThreshold) {
            seen[j] = 1;
            stack[top++] = j;
          }
        }
      }
    }
    const w = maxX - minX + 1;
    const h = maxY - minY + 1;
    if (Math.min(w, h) < p.minSide) continue;
    let sum = 0;
    for (let y = minY; y <= maxY; y++) for (let x = minX; x <= maxX; x++) sum += prob[y * width + x] as number;
    const score = sum / (w * h);
    if (score < p.boxThreshold) continue;
    const d = (w * h * p.unclipRatio) / (2 * (w + h));
    if (Math.min(w, h) + 2 * d < p.minSide + 2) continue;
    boxes.push({ x0: minX - d, y0: minY - d, x1: maxX + 1 + d, y1: maxY + 1 + d, score });
  }
  return boxes;
}
