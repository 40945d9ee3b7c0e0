/** PP-OCRv4's detector input: the long side limited to 960 px (PaddleOCR's det_limit_side_len). */
export const DET_LIMIT_SIDE = 960;

/**
 * PaddleOCR's DetResizeForTest (limit_type "max"): scale down so the long side is at most
 * 960 px, truncate, then round each side to a multiple of 32 (at least 32), because the
 * DB network downsamples 32×.
 */
export function detInputSize(width: number, height: number, limitSide = DET_LIMIT_SIDE): { width: number; height: number } {
  const ratio = Math.max(width, height) > limitSide ? limitSide / Math.max(width, height) : 1;
  const to32 = (v: number) => Math.max(32, Math.round(Math.trunc(v * ratio) / 32) * 32);
  return { width: to32(width), height: to32(height) };
}
