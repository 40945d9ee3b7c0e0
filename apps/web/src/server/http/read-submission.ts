import { AppError } from "../errors.ts";
import { parseJsonBody, readBodyLimited } from "./read-body.ts";

// A job submission as clients send it (issue 16): JSON (`{ model, input, … }`, files as
// base64), or multipart/form-data, the way `curl -F file=@photo.jpg` and browsers' forms
// send files. A multipart body carries the same fields as text parts, and the input either
// as an `input` part (JSON) or as one `file` part, which becomes the model's input field by
// what the file is (its first bytes, not the name or type the client gave it):
// an image → `{ image }`, a WAV → `{ audio }`, UTF-8 text → `{ text }`. Both are bounded by
// the same body limit, checked before anything is buffered.

const TEXT_FIELDS = ["model", "region", "maxPricePerCu", "idempotencyKey"] as const;
const FIELDS = new Set<string>([...TEXT_FIELDS, "input", "file"]);

/** What a file is, from its magic bytes. */
export function sniffFile(bytes: Uint8Array): "image" | "audio" | "text" | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 16));
  const ascii = (from: number, to: number) => b.toString("latin1", from, to);
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47) return "image"; // PNG
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image"; // JPEG
  if (ascii(0, 4) === "GIF8") return "image";
  if (ascii(0, 4) === "II*\0" || ascii(0, 4) === "MM\0*") return "image"; // TIFF
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "image";
  if (ascii(4, 8) === "ftyp" && /^(avi[fs]|hei[cfx]|mif1)/.test(ascii(8, 12))) return "image"; // AVIF, HEIF
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WAVE") return "audio";
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return bytes.byteLength > 0 ? "text" : null;
  } catch {
    return null;
  }
}

/** The model input a file stands for. */
export function inputOfFile(bytes: Uint8Array): Record<string, string> {
  const kind = sniffFile(bytes);
  const base64 = () => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  if (kind === "image") return { image: base64() };
  if (kind === "audio") return { audio: base64() };
  if (kind === "text") return { text: new TextDecoder("utf-8").decode(bytes) };
  throw new AppError(
    "BAD_REQUEST",
    "file: not a file a model takes: send an image (PNG, JPEG, WebP, GIF, TIFF, AVIF, HEIF), a WAV recording or UTF-8 text",
  );
}

/**
 * The submit request's fields, from a JSON or a multipart/form-data body of at most
 * `maxBytes`. Validation of the fields is the caller's (the same zod schema for both).
 */
export async function readSubmission(req: Request, maxBytes: number): Promise<unknown> {
  const type = req.headers.get("content-type") ?? "";
  const body = await readBodyLimited(req, maxBytes);
  if (!/^multipart\/form-data\s*;/i.test(type)) return parseJsonBody(body);
  let form: FormData;
  try {
    form = await new Response(body, { headers: { "content-type": type } }).formData();
  } catch {
    throw new AppError("BAD_REQUEST", "request body is not valid multipart/form-data");
  }
  const names = [...new Set(form.keys())];
  const unknown = names.filter((n) => !FIELDS.has(n));
  if (unknown.length > 0) {
    throw new AppError(
      "BAD_REQUEST",
      `unknown form field ${unknown
        .slice(0, 3)
        .map((n) => `'${n.slice(0, 40)}'`)
        .join(", ")}: the fields are ${[...FIELDS].join(", ")}`,
    );
  }
  const fields: Record<string, unknown> = {};
  for (const name of names) {
    const values = form.getAll(name);
    if (values.length > 1) throw new AppError("BAD_REQUEST", `form field '${name}' is given ${values.length} times: give it once`);
    const value = values[0];
    if (name === "file") {
      if (typeof value === "string") throw new AppError("BAD_REQUEST", "file: must be a file part (curl -F file=@path)");
      continue;
    }
    if (typeof value !== "string") throw new AppError("BAD_REQUEST", `form field '${name}' must be text, not a file`);
    fields[name] = value;
  }
  const file = form.get("file");
  if (file !== null && fields.input !== undefined) throw new AppError("BAD_REQUEST", "give the input as a file or as 'input', not both");
  if (file !== null && typeof file !== "string") {
    fields.input = inputOfFile(new Uint8Array(await file.arrayBuffer()));
  } else if (typeof fields.input === "string") {
    try {
      fields.input = JSON.parse(fields.input);
    } catch {
      throw new AppError("BAD_REQUEST", "form field 'input' is not valid JSON");
    }
  }
  return fields;
}
