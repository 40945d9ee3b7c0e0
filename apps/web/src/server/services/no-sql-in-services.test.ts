import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

// Issue 14: SQL lives in packages/db, one module per domain (nodes/, checks/, billing/ …),
// each owning its tables' statements and row types; services keep the rules and call them.
// This keeps it so: a raw statement written in a service fails here with its file and line.
// Test files may set up their fixtures with SQL.

const SERVICES = import.meta.dirname;
const RAW_SQL = /\$queryRaw|\$executeRaw|\$queryRawUnsafe|\$executeRawUnsafe|\.query\(\s*["'`]/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [path] : [];
  });
}

describe("apps/web/src/server/services", () => {
  it("holds no raw SQL: statements live in packages/db by domain", () => {
    const files = sourceFiles(SERVICES);
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((f) =>
      readFileSync(f, "utf8")
        .split("\n")
        .flatMap((line, i) => (RAW_SQL.test(line) ? [`${relative(SERVICES, f)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(found).toEqual([]);
  });
});
