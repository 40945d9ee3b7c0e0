import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildEncoderBytes, ENCODER_SHA256, ensureEncoderFile, modelCacheDir } from "./build-encoder.ts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("synthetic encoder build", () => {
  const saved = process.env.PROOFGRID_MODEL_CACHE;
  afterEach(() => {
    if (saved === undefined) delete process.env.PROOFGRID_MODEL_CACHE;
    else process.env.PROOFGRID_MODEL_CACHE = saved;
  });

  it("writes the same bytes on every build: the pinned sha256 (the model id)", () => {
    const t0 = performance.now();
    const first = sha256(buildEncoderBytes());
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(sha256(buildEncoderBytes())).toBe(first);
    expect(first).toBe(ENCODER_SHA256);
  });

  it("builds into PROOFGRID_MODEL_CACHE, and rebuilds a file whose bytes do not match", async () => {
    const dir = mkdtempSync(join(tmpdir(), "proofgrid-models-"));
    try {
      process.env.PROOFGRID_MODEL_CACHE = dir;
      expect(modelCacheDir()).toBe(dir);
      const { path, sha256: id } = await ensureEncoderFile();
      expect(path.startsWith(dir)).toBe(true);
      expect(id).toBe(ENCODER_SHA256);
      expect(sha256(readFileSync(path))).toBe(ENCODER_SHA256);

      // A second cache directory is checked on its own: corrupt the file and point there again.
      const other = mkdtempSync(join(tmpdir(), "proofgrid-models-"));
      try {
        writeFileSync(join(other, path.slice(dir.length + 1)), "truncated");
        process.env.PROOFGRID_MODEL_CACHE = other;
        const rebuilt = await ensureEncoderFile();
        expect(sha256(readFileSync(rebuilt.path))).toBe(ENCODER_SHA256);
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
