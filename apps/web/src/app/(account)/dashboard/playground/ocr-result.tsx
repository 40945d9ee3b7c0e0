import type { OcrOutput } from "@proofgrid/models/model-schemas";
import { Muted } from "~/components/ui/typography";

/** The image with each recognised line's box drawn over it (SVG in image pixels), and the lines. `src` null: the lines only (an image too large to preview). */
export function OcrResult({ src, output }: { src: string | null; output: OcrOutput }) {
  return (
    <div className="grid grid-cols-[minmax(0,1fr)] gap-3">
      {src === null ? null : (
        <figure className="m-0 w-full" style={{ maxWidth: output.width }}>
          {/* The boxes' SVG covers exactly the image: a box with the caption inside it (the
            figure's height) stretched the image's coordinates and drew every line lower than
            the last, by a few pixels per line down the page. */}
          {/* The border is the wrapper's, so the image and the SVG share one box to the pixel. */}
          <div className="relative overflow-hidden rounded-sm border border-line" data-testid="ocr-overlay">
            {/* biome-ignore lint/performance/noImgElement: a data: or blob: URL, nothing for next/image to optimise */}
            <img src={src} alt="What you uploaded" className="block h-auto w-full" />
            <svg
              viewBox={`0 0 ${output.width} ${output.height}`}
              preserveAspectRatio="none"
              className="absolute inset-0 size-full"
              role="img"
              aria-label={`${output.lines.length} recognised text boxes`}
              data-testid="ocr-boxes"
            >
              {output.lines.map((l, i) => (
                <polygon
                  // biome-ignore lint/suspicious/noArrayIndexKey: lines have no id; the order is the output's
                  key={i}
                  points={l.box.map(([x, y]) => `${x},${y}`).join(" ")}
                  className="fill-accent/10 stroke-accent"
                  strokeWidth={Math.max(1, output.width / 400)}
                />
              ))}
            </svg>
          </div>
          <figcaption className="mt-1 text-[13px] text-muted">
            {output.width} × {output.height} px · boxes in blue
          </figcaption>
        </figure>
      )}
      <h3 className="mt-2 text-base font-semibold" id="ocr-lines-heading">
        Recognised lines
      </h3>
      {output.lines.length === 0 ? (
        <Muted>No text found in this image.</Muted>
      ) : (
        <ol aria-labelledby="ocr-lines-heading" data-testid="ocr-lines" className="list-decimal pl-6">
          {output.lines.map((l, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines have no id; the order is the output's
            <li key={i}>
              <span className="font-mono text-[13px]">{l.text}</span>{" "}
              <span className="text-[13px] text-muted">({(l.confidence * 100).toFixed(1)}%)</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
