import { ADAPT_LIMITS } from "@proofgrid/models/adapt-input";
import { AppError } from "../../errors.ts";
import { assertPublicHost, outboundRequest, parseOutboundUrl } from "../../http/outbound.ts";

// Inputs given by URL (issue 16): `{ "imageUrl": "https://…" }` for `{ "image": <base64> }`,
// `{ "audioUrl": "https://…" }` for `{ "audio": … }`. The platform fetches the file once, at
// submit, under the rules for any address a customer names (http/outbound.ts: https only,
// public addresses only, checked on the address connected to), with a byte cap (the largest
// file the conversion step takes), a time bound and no redirect followed; the job then holds
// the file itself, so what ran is what the receipt's input hash names, whatever the URL
// serves later. The fetch is said in the answer's `inputAdjustments`.

const URL_FIELDS = {
  imageUrl: { field: "image", maxBytes: ADAPT_LIMITS.imageMaxBytes },
  audioUrl: { field: "audio", maxBytes: ADAPT_LIMITS.audioMaxBytes },
} as const;
type UrlField = keyof typeof URL_FIELDS;

const MAX_URL_CHARS = 2_048;
const FETCH_TIMEOUT_MS = 15_000;

/** The input with its URL field replaced by the fetched file (base64), and what was done. */
export async function resolveInputUrls(input: unknown, opts: { allowLocal: boolean }): Promise<{ input: unknown; fetched: string[] }> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return { input, fetched: [] };
  const names = Object.keys(input).filter((k): k is UrlField => k in URL_FIELDS);
  if (names.length === 0) return { input, fetched: [] };
  if (names.length > 1) throw new AppError("BAD_REQUEST", `input: give one of ${names.join(", ")}, not several`);
  const name = names[0] as UrlField;
  const { field, maxBytes } = URL_FIELDS[name];
  if (field in input) throw new AppError("BAD_REQUEST", `input: give ${name} or ${field}, not both`);
  const raw = (input as Record<string, unknown>)[name];
  if (typeof raw !== "string") throw new AppError("BAD_REQUEST", `input.${name}: must be a URL string`);
  const url = parseOutboundUrl(raw, { allowLocal: opts.allowLocal, what: `input.${name}`, maxChars: MAX_URL_CHARS });
  await assertPublicHost(url, { allowLocal: opts.allowLocal, what: `input.${name}` });
  const r = await outboundRequest({
    method: "GET",
    url: url.href,
    headers: { "user-agent": "Proofgrid-Inputs/1", accept: "*/*" },
    timeoutMs: FETCH_TIMEOUT_MS,
    maxBytes,
    allowLocal: opts.allowLocal,
  });
  if (r.statusCode === null) throw new AppError("BAD_REQUEST", `input.${name}: could not fetch ${url.host}: ${r.error ?? "no answer"}`);
  if (r.statusCode >= 300 && r.statusCode < 400) {
    throw new AppError(
      "BAD_REQUEST",
      `input.${name}: ${url.host} answered a redirect (${r.statusCode}): give the final URL, redirects are not followed`,
    );
  }
  if (r.statusCode !== 200) throw new AppError("BAD_REQUEST", `input.${name}: ${url.host} answered HTTP ${r.statusCode}`);
  if (r.truncated) throw new AppError("PAYLOAD_TOO_LARGE", `input.${name}: the file is larger than ${maxBytes} bytes`);
  if (r.body.length === 0) throw new AppError("BAD_REQUEST", `input.${name}: the file is empty`);
  const { [name]: _url, ...rest } = input as Record<string, unknown>;
  return {
    input: { ...rest, [field]: r.body.toString("base64") },
    fetched: [`${field} fetched from ${url.host} (${r.body.length} bytes)`],
  };
}
