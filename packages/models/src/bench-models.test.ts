import { describe, expect, it } from "vitest";
import { benchBareSessionRun, benchModels, median } from "./bench-models.ts";

describe("bench-models", () => {
  it("medians", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it("times run() against bare session.run on the tensors it fed the model", async () => {
    const [r] = await benchModels({ slugs: ["encoder-synthetic-minilm"], iterations: 3 });
    expect(r).toMatchObject({ slug: "encoder-synthetic-minilm", iterations: 3, sessionRunsPerJob: 1 });
    expect(r?.pipelineMedianMs).toBeGreaterThan(0);
    expect(r?.bareMedianMs).toBeGreaterThan(0);
    const bare = await benchBareSessionRun(
      "vad-silero-v5",
      { audio: Buffer.alloc(0).toString("base64") || "UklGRg==" },
      { iterations: 1 },
    ).catch((e: Error) => e);
    expect(bare).toBeInstanceOf(Error);
  });
});
