import sharp from "sharp";

/** Renders lines of text to a PNG (black on white) — the OCR ground truth is `lines`. */
export async function renderTextPng(lines: string[], opts: { fontSize?: number; width?: number } = {}): Promise<Buffer> {
  const fontSize = opts.fontSize ?? 44;
  const lineHeight = Math.round(fontSize * 1.8);
  const width = opts.width ?? 900;
  const height = lineHeight * lines.length + fontSize;
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const texts = lines
    .map(
      (l, i) =>
        `<text x="30" y="${fontSize + 10 + i * lineHeight}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="black">${esc(l)}</text>`,
    )
    .join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${texts}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}
