import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatTokens } from "../cli.ts";
import { CliUsageError, configPath, loadConfig, saveConfig } from "./config.ts";
import { inputFromFile, listBatch } from "./inputs.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "proofgrid-cli-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("config", () => {
  it("saves the URL and key readable by the user alone, and the environment overrides them", () => {
    const env = { XDG_CONFIG_HOME: dir };
    const file = saveConfig({ baseUrl: "https://pg.example/", apiKey: "pg_saved" }, env);
    expect(file).toBe(join(dir, "proofgrid", "config.json"));
    expect(configPath(env)).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "proofgrid")).mode & 0o777).toBe(0o700);
    expect(loadConfig(env)).toEqual({ baseUrl: "https://pg.example", apiKey: "pg_saved" });
    expect(loadConfig({ ...env, PROOFGRID_API_KEY: "pg_env", PROOFGRID_BASE_URL: "http://127.0.0.1:9" })).toEqual({
      baseUrl: "http://127.0.0.1:9",
      apiKey: "pg_env",
    });
  });

  it("refuses no key, a bad URL and a file that is not JSON", () => {
    expect(() => loadConfig({ XDG_CONFIG_HOME: dir })).toThrow(CliUsageError);
    expect(() => loadConfig({ XDG_CONFIG_HOME: dir, PROOFGRID_API_KEY: "k", PROOFGRID_BASE_URL: "ftp://x" })).toThrow(/http/);
    expect(() => saveConfig({ baseUrl: "http://x", apiKey: "has space" }, { XDG_CONFIG_HOME: dir })).toThrow(CliUsageError);
    const file = join(dir, "c.json");
    writeFileSync(file, "{not json");
    expect(() => loadConfig({ PROOFGRID_CONFIG: file, PROOFGRID_API_KEY: "k" })).toThrow(/not JSON/);
  });
});

describe("inputs", () => {
  it("reads each kind of file as its model's input", () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    writeFileSync(join(dir, "a.txt"), "hello world\n");
    writeFileSync(join(dir, "b.PNG"), png);
    writeFileSync(join(dir, "c.wav"), Buffer.from("RIFF0000WAVE"));
    writeFileSync(join(dir, "d.json"), '{"texts":["x","y"]}');
    expect(inputFromFile(join(dir, "a.txt"))).toEqual({ text: "hello world" });
    expect(inputFromFile(join(dir, "b.PNG"))).toEqual({ image: png.toString("base64") });
    expect(inputFromFile(join(dir, "c.wav"))).toEqual({ audio: Buffer.from("RIFF0000WAVE").toString("base64") });
    expect(inputFromFile(join(dir, "d.json"))).toEqual({ texts: ["x", "y"] });
    writeFileSync(join(dir, "e.pdf"), "x");
    expect(() => inputFromFile(join(dir, "e.pdf"))).toThrow(/unknown kind/);
    writeFileSync(join(dir, "f.txt"), " \n");
    expect(() => inputFromFile(join(dir, "f.txt"))).toThrow(/empty/);
  });

  it("lists a folder's inputs by name, skipping hidden and other files", () => {
    for (const f of ["b.txt", "a.txt", ".hidden.txt", "notes.md"]) writeFileSync(join(dir, f), "x");
    expect(listBatch(dir).map((i) => i.name)).toEqual(["a.txt", "b.txt"]);
  });

  it("reads a .jsonl of named and bare inputs, and refuses duplicate names", () => {
    const file = join(dir, "in.jsonl");
    writeFileSync(file, '{"name":"first","input":{"text":"a"}}\n\n{"text":"b"}\n{"id":"third","input":{"text":"c"}}\n');
    const items = listBatch(file);
    expect(items.map((i) => [i.name, i.load()])).toEqual([
      ["first", { text: "a" }],
      ["line-3", { text: "b" }],
      ["third", { text: "c" }],
    ]);
    writeFileSync(file, '{"name":"x","input":{}}\n{"name":"x","input":{}}\n');
    expect(() => listBatch(file)).toThrow(/unique/);
    writeFileSync(file, "{broken\n");
    expect(() => listBatch(file)).toThrow(/line 1 is not JSON/);
    expect(() => listBatch(join(dir, "missing.jsonl"))).toThrow(CliUsageError);
  });
});

it("formats base units as tokens", () => {
  expect(["0", "1", "1500000", "-250000", "12000000"].map(formatTokens)).toEqual(["0", "0.000001", "1.5", "-0.25", "12"]);
  expect(readFileSync(new URL("../../bin/proofgrid.mjs", import.meta.url), "utf8")).toContain("main(process.argv)");
});
