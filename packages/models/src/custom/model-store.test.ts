import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { afterEach, describe, expect, it } from "vitest";
import { LocalModelStore } from "./model-store.ts";

let dir: string;
const fresh = () => {
  dir = mkdtempSync(join(tmpdir(), "proofgrid-store-"));
  return new LocalModelStore(dir);
};
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const files = (d: string): string[] =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : [e.name]));

describe("LocalModelStore: models stored by the sha256 of their bytes", () => {
  it("gives identical uploads one id and one file; other bytes under the same name are another id", () => {
    const store = fresh();
    const bytes = randomBytes(10_000);
    const a = store.put(bytes);
    expect(a).toEqual({ id: createHash("sha256").update(bytes).digest("hex"), created: true });
    expect(store.put(Uint8Array.from(bytes))).toEqual({ id: a.id, created: false });
    const other = Buffer.from(bytes);
    other[0] = (other[0] ?? 0) ^ 1;
    const b = store.put(other);
    expect(b.id).not.toBe(a.id);
    expect(files(dir).sort()).toEqual([`${a.id}.onnx`, `${b.id}.onnx`].sort());
  });

  it("reads a byte range for a resumed download, and refuses ranges outside the file", async () => {
    const store = fresh();
    const { id } = store.put(Buffer.from("0123456789"));
    expect(store.size(id)).toBe(10);
    expect(await text(store.read(id, { start: 4 }))).toBe("456789");
    expect(await text(store.read(id, { start: 2, end: 4 }))).toBe("234");
    expect(() => store.read(id, { start: 10 })).toThrow(/outside the model's 10 bytes/);
    expect(() => store.read(id, { start: 5, end: 3 })).toThrow(/outside/);
  });

  it("never lets an id name a path: only 64 hex characters are ids", () => {
    const store = fresh();
    for (const bad of ["../../etc/passwd", `${"a".repeat(63)}/`, "A".repeat(64), ""]) {
      expect(() => store.has(bad)).toThrow(/not a model id/);
      expect(() => store.read(bad)).toThrow(/not a model id/);
    }
    expect(store.has("f".repeat(64))).toBe(false);
    expect(store.size("f".repeat(64))).toBeNull();
  });
});
