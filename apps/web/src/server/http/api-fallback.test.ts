import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { apiNotFound, methodsNotAllowed } from "./api-fallback.ts";

const V1 = join(import.meta.dirname, "../../app/api/v1");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];

function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? routeFiles(join(dir, e.name)) : e.name === "route.ts" ? [join(dir, e.name)] : [],
  );
}

describe("the API's answers for what it does not have", () => {
  it("every /api/v1 route answers its other methods with a JSON 405 naming the ones it has", () => {
    const files = routeFiles(V1);
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const src = readFileSync(file, "utf8");
      const own = METHODS.filter((m) => new RegExp(`^export (const|async function|function) ${m}\\b`, "m").test(src));
      const line = /^export const \{ ([A-Z, ]+) \} = methodsNotAllowed\(([^)]*)\);$/m.exec(src);
      expect(line, `${file} lacks its methodsNotAllowed(...) line`).not.toBeNull();
      const filled = (line?.[1] ?? "").split(", ");
      const allowed = [...(line?.[2] ?? "").matchAll(/"([A-Z]+)"/g)].map((m) => m[1]);
      expect(allowed, file).toEqual(own);
      expect([...own, ...filled].sort(), file).toEqual([...METHODS].sort());
    }
  });

  it("a 405 is the API's error shape with an Allow header; an unknown path is a JSON 404", async () => {
    const res = await methodsNotAllowed("GET", "POST").PUT(new Request("http://localhost/api/v1/jobs", { method: "PUT" }));
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, POST, HEAD, OPTIONS");
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error).toMatchObject({ code: "METHOD_NOT_ALLOWED", message: "PUT is not allowed here: use GET or POST" });
    const missing = await apiNotFound(new Request("http://localhost/api/v1/jbos", { method: "GET" }));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining("GET /api/v1/jbos"),
    });
  });
});
