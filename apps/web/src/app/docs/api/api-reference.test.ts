import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { getOpenApiDocument } from "~/server/openapi/document";
import { ApiReference } from "./api-reference";
import { curlFor, exampleOf, type JsonSchema, outline } from "./schema-outline";

// The API reference is the OpenAPI document read by people: every operation in it is on the
// page with its auth and a curl command, and every named schema it links to is there too.

const doc = getOpenApiDocument();
const html = renderToStaticMarkup(createElement(ApiReference, { doc }));
const schemas = (doc.components?.schemas ?? {}) as Record<string, JsonSchema>;

describe("the API reference page", () => {
  it("shows every operation of the document with its anchor and its curl command", () => {
    const ops = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
      Object.entries(item as Record<string, { operationId?: string }>).map(([method, op]) => ({ method, path, op })),
    );
    expect(ops.length).toBeGreaterThan(40);
    for (const { method, path, op } of ops) {
      expect(html, `${method} ${path}`).toContain(`id="${op.operationId}"`);
      expect(html, `${method} ${path}`).toContain(
        `curl -X ${method.toUpperCase()} &quot;$PROOFGRID_URL${path.replace(/\{(\w+)\}/g, "&lt;$1&gt;")}&quot;`,
      );
    }
  });

  it("links only to schemas it shows", () => {
    const links = [...html.matchAll(/href="#schema-([A-Za-z]+)"/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(20);
    for (const name of new Set(links)) expect(html, name).toContain(`id="schema-${name}"`);
  });

  it("needs no script: nothing loads from elsewhere", () => {
    expect(html).not.toMatch(/<script|https?:\/\/cdn/i);
  });
});

describe("schema outline", () => {
  it("lists a job's fields, optional ones marked, named schemas as links", () => {
    const lines = outline(schemas.Job as JsonSchema);
    const byName = new Map(lines.map((l) => [l.name, l]));
    expect(byName.get("id")?.type).toBe("string");
    expect(byName.get("price")?.constraints).toContain("/^(0|[1-9][0-9]*)$/");
    expect(byName.get("queue?")?.ref).toBe("QueueEstimate");
    expect(byName.get("state")?.ref).toBe("JobState");
  });

  it("makes a request body from its required fields, and a curl the shell reads back", () => {
    const body = doc.paths?.["/api/v1/reservations"]?.post?.requestBody as { content: Record<string, { schema: JsonSchema }> };
    const example = exampleOf(body.content["application/json"]?.schema as JsonSchema, schemas) as Record<string, unknown>;
    expect(Object.keys(example).sort()).toEqual(["count", "minCuPerHour", "region"]);
    expect(curlFor({ method: "post", path: "/api/v1/x/{id}", authenticated: true, body: { note: "it's" } })).toBe(
      [
        `curl -X POST "$PROOFGRID_URL/api/v1/x/<id>"`,
        `-H "Authorization: Bearer $PROOFGRID_API_KEY"`,
        `-H "content-type: application/json"`,
        `-d '{"note":"it'\\''s"}'`,
      ].join(" \\\n  "),
    );
  });
});
