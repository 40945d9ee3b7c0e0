import { describe, expect, it } from "vitest";
import { AppError } from "../../errors.ts";
import { checkJobInput } from "./check-job-input.ts";

// A refused input is a 413 when it is too large and a 400 when it is malformed: the model
// package's error says which, whatever its message's words.
describe("checkJobInput", () => {
  const refusal = async (slug: string, input: unknown) => {
    const err = await checkJobInput(slug, input).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).code;
  };

  it("answers a size refusal with PAYLOAD_TOO_LARGE", async () => {
    expect(await refusal("encoder-synthetic-minilm", { texts: Array.from({ length: 1_000 }, () => "a") })).toBe("PAYLOAD_TOO_LARGE");
    expect(await refusal("encoder-synthetic-minilm", { text: "x".repeat(100_000) })).toBe("PAYLOAD_TOO_LARGE");
  });

  it("answers a malformed input with BAD_REQUEST", async () => {
    expect(await refusal("encoder-synthetic-minilm", { text: 5 })).toBe("BAD_REQUEST");
    expect(await refusal("vad-silero-v5", { audio: "not base64 at all!" })).toBe("BAD_REQUEST");
    expect(await refusal("ocr-ppocr-v4", { image: Buffer.from("GIF89a").toString("base64") })).toBe("BAD_REQUEST");
  });

  it("measures a good input", async () => {
    const ok = await checkJobInput("encoder-synthetic-minilm", { text: "A sentence to embed." });
    expect(ok.costMilliCu).toBeGreaterThan(0);
    expect(ok.inputBytes).toBe(JSON.stringify({ text: "A sentence to embed." }).length);
  });
});
