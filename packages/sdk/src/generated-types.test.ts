import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// The SDK's types are the platform's OpenAPI document's: a route whose schema changed
// without `npm run generate -w @proofgrid/sdk` fails here, not in a customer's build.

interface Generator {
  generate(): Promise<{ document: string; schema: string }>;
}

describe("generated types", () => {
  it("openapi.json and src/generated/schema.d.ts are what the web app's document generates now", async () => {
    // A computed name: the script imports the web app (its `~/` alias), which only vitest resolves.
    const script = new URL("../scripts/generate-types.ts", import.meta.url).pathname;
    const { generate } = (await import(/* @vite-ignore */ script)) as Generator;
    const { document, schema } = await generate();
    const stale = "is stale: run `npm run generate -w @proofgrid/sdk`";
    expect(readFileSync(new URL("../openapi.json", import.meta.url), "utf8"), `openapi.json ${stale}`).toBe(document);
    expect(readFileSync(new URL("./generated/schema.d.ts", import.meta.url), "utf8"), `schema.d.ts ${stale}`).toBe(schema);
  });
});
