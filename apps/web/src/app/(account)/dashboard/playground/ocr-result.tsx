import type { OcrOutput } from "@proofgrid/models/model-schemas";
import styles from "../../account.module.css";

/** The image with each recognised line's box drawn over it (SVG in image pixels), and the lines. */
export function OcrResult({ src, output }: { src: string; output: OcrOutput }) {
  return (
    <div style={{ display: "grid", gap: 12, gridTemplateColumns: "minmax(0, 1fr)" }}>
      <figure style={{ margin: 0, position: "relative", width: "100%", maxWidth: output.width }}>
        {/* biome-ignore lint/performance/noImgElement: a data: or blob: URL, nothing for next/image to optimise */}
        <img src={src} alt="What you uploaded" style={{ display: "block", width: "100%", height: "auto", border: "1px solid #e2e8f0" }} />
        <svg
          viewBox={`0 0 ${output.width} ${output.height}`}
          preserveAspectRatio="none"
          style={{ position: "absolute", inset: 0, width: "100%", height: "100%" }}
          role="img"
          aria-label={`${output.lines.length} recognised text boxes`}
          data-testid="ocr-boxes"
        >
          {output.lines.map((l, i) => (
            <polygon
              // biome-ignore lint/suspicious/noArrayIndexKey: lines have no id; the order is the output's
              key={i}
              points={l.box.map(([x, y]) => `${x},${y}`).join(" ")}
              fill="rgba(29, 78, 216, 0.12)"
              stroke="#1d4ed8"
              strokeWidth={Math.max(1, output.width / 400)}
            />
          ))}
        </svg>
        <figcaption className={styles.muted}>
          {output.width} × {output.height} px · boxes in blue
        </figcaption>
      </figure>
      <h3 style={{ fontSize: 16, margin: "8px 0 0" }} id="ocr-lines-heading">
        Recognised lines
      </h3>
      {output.lines.length === 0 ? (
        <p className={styles.muted}>No text found in this image.</p>
      ) : (
        <ol aria-labelledby="ocr-lines-heading" data-testid="ocr-lines" style={{ margin: 0, paddingLeft: 24 }}>
          {output.lines.map((l, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines have no id; the order is the output's
            <li key={i}>
              <span className={styles.mono}>{l.text}</span> <span className={styles.muted}>({(l.confidence * 100).toFixed(1)}%)</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
