import { db } from "../../db.ts";
import { AppError } from "../../errors.ts";

/** Images above this (base64 characters, ~1.5 MB decoded) are not sent back to the page. */
const IMAGE_PREVIEW_MAX_CHARS = 2_000_000;
/** Text shown of a text input; the rest is elided. */
const TEXT_PREVIEW_MAX_CHARS = 2_000;
const TEXTS_PREVIEW_MAX_ITEMS = 8;

export type JobInputPreview =
  | { kind: "image"; dataUrl: string }
  | { kind: "text"; texts: string[]; truncated: boolean }
  | { kind: "audio"; bytes: number }
  | { kind: "omitted"; reason: string };

function imageDataUrl(b64: string): string {
  if (b64.startsWith("data:")) return b64;
  // PNG starts "iVBOR", JPEG "/9j/", WebP "UklGR" in base64.
  const type = b64.startsWith("/9j/") ? "image/jpeg" : b64.startsWith("UklGR") ? "image/webp" : "image/png";
  return `data:${type};base64,${b64}`;
}

/**
 * A bounded view of a job's input for the job page: the image (when small enough), the
 * text (truncated) or the audio's size. Another organisation's job id is NOT_FOUND, as for
 * getJobOrThrow.
 */
export async function getJobInputPreview(opts: { orgId: string; jobId: string }): Promise<JobInputPreview> {
  if (!/^[0-9a-f-]{36}$/i.test(opts.jobId)) throw new AppError("NOT_FOUND", "job not found");
  const row = await db().job.findFirst({
    where: { id: opts.jobId, orgId: opts.orgId },
    select: { payload: { select: { input: true } } },
  });
  if (!row) throw new AppError("NOT_FOUND", "job not found");
  const input = row.payload?.input;
  if (typeof input !== "object" || input === null || Array.isArray(input))
    return { kind: "omitted", reason: "The input is no longer stored." };
  const fields = input as Record<string, unknown>;
  if (typeof fields.image === "string") {
    return fields.image.length <= IMAGE_PREVIEW_MAX_CHARS
      ? { kind: "image", dataUrl: imageDataUrl(fields.image) }
      : { kind: "omitted", reason: "The image is too large to preview here." };
  }
  if (typeof fields.audio === "string") return { kind: "audio", bytes: Math.floor((fields.audio.length * 3) / 4) };
  const texts =
    typeof fields.text === "string" ? [fields.text] : Array.isArray(fields.texts) ? fields.texts.filter((t) => typeof t === "string") : [];
  if (texts.length === 0) return { kind: "omitted", reason: "This input has no preview." };
  const shown = texts.slice(0, TEXTS_PREVIEW_MAX_ITEMS).map((t) => t.slice(0, TEXT_PREVIEW_MAX_CHARS));
  const truncated = texts.length > shown.length || texts.some((t) => t.length > TEXT_PREVIEW_MAX_CHARS);
  return { kind: "text", texts: shown, truncated };
}
