// The API reference's reading of the OpenAPI document: a JSON Schema as an outline of typed
// lines (a name, a type, its constraints, its description), a request body's example, and the
// curl command that sends it. Pure, so the page stays a server component with no script.

/** The part of JSON Schema 2020-12 (as OpenAPI 3.1 writes it) the outline reads. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
  example?: unknown;
  description?: string;
}

export interface OutlineLine {
  depth: number;
  /** The property's name (`?` when optional); empty for an item or the root. */
  name: string;
  /** `string`, `integer`, `Job`, `Job[]`, `"a" | "b"`, … */
  type: string;
  /** A named schema the type links to (components/schemas). */
  ref?: string;
  constraints: string[];
  description?: string;
}

/** Nesting bound: the documents' deepest schema is 6 levels; a cycle stops here too. */
const MAX_DEPTH = 8;

export function refName(ref: string): string {
  return ref.replace(/^#\/components\/schemas\//, "");
}

function variants(s: JsonSchema): JsonSchema[] | undefined {
  return s.anyOf ?? s.oneOf;
}

/** A one-line type for a schema, and the named schema it refers to if any. */
export function typeOf(s: JsonSchema): { type: string; ref?: string } {
  if (s.$ref) return { type: refName(s.$ref), ref: refName(s.$ref) };
  if (s.enum) return { type: s.enum.map((v) => JSON.stringify(v)).join(" | ") };
  if (s.const !== undefined) return { type: JSON.stringify(s.const) };
  const alts = variants(s);
  if (alts) {
    const parts = alts.map(typeOf);
    return { type: parts.map((p) => p.type).join(" | "), ref: parts.find((p) => p.ref)?.ref };
  }
  if (s.allOf?.length === 1 && s.allOf[0]) return typeOf(s.allOf[0]);
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.includes("array") && s.items) {
    const item = typeOf(s.items);
    const t = item.type.includes(" ") ? `(${item.type})[]` : `${item.type}[]`;
    return { type: types.length > 1 ? `${t} | null` : t, ref: item.ref };
  }
  if (types.includes("object") && s.additionalProperties && typeof s.additionalProperties === "object" && !s.properties) {
    return { type: `map of ${typeOf(s.additionalProperties).type}` };
  }
  if (types.length === 0) return { type: "any JSON" };
  return { type: types.join(" | ") };
}

function constraintsOf(s: JsonSchema): string[] {
  const c: string[] = [];
  if (s.format) c.push(s.format);
  if (s.pattern) c.push(`/${s.pattern}/`);
  if (s.minLength !== undefined || s.maxLength !== undefined) c.push(`length ${s.minLength ?? 0}…${s.maxLength ?? "∞"}`);
  if (s.exclusiveMinimum !== undefined) c.push(`> ${s.exclusiveMinimum}`);
  if (s.minimum !== undefined || s.maximum !== undefined) c.push(`${s.minimum ?? "−∞"}…${s.maximum ?? "∞"}`);
  if (s.default !== undefined) c.push(`default ${JSON.stringify(s.default)}`);
  return c;
}

/** The object a schema's lines nest: its own properties, or its only object variant's. */
function objectOf(s: JsonSchema): JsonSchema | undefined {
  if (s.properties) return s;
  const objects = (variants(s) ?? []).filter((v) => v.properties);
  return objects.length === 1 ? objects[0] : undefined;
}

/**
 * A schema as lines: each property (and an array's item's properties) one line deeper than
 * its parent. Named schemas stay a reference (a link) rather than being inlined again.
 */
export function outline(schema: JsonSchema, depth = 0, name = ""): OutlineLine[] {
  const { type, ref } = typeOf(schema);
  const lines: OutlineLine[] = [{ depth, name, type, ref, constraints: constraintsOf(schema), description: schema.description }];
  if (depth >= MAX_DEPTH || schema.$ref) return lines;
  const obj = objectOf(schema) ?? (schema.items && !schema.items.$ref ? objectOf(schema.items) : undefined);
  if (!obj?.properties) return lines;
  const required = new Set(obj.required ?? []);
  for (const [key, prop] of Object.entries(obj.properties)) {
    lines.push(...outline(prop, depth + 1, required.has(key) ? key : `${key}?`));
  }
  return lines;
}

/** An example value for a request: each required field filled, first choices taken, examples used. */
export function exampleOf(s: JsonSchema, schemas: Record<string, JsonSchema>, depth = 0): unknown {
  if (depth > MAX_DEPTH) return null;
  if (s.$ref) return exampleOf(schemas[refName(s.$ref)] ?? {}, schemas, depth + 1);
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  if (s.enum) return s.enum[0];
  if (s.const !== undefined) return s.const;
  const alts = variants(s);
  if (alts?.[0]) return exampleOf(alts[0], schemas, depth + 1);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === "object" || s.properties) {
    const out: Record<string, unknown> = {};
    for (const key of s.required ?? []) {
      const prop = s.properties?.[key];
      if (prop) out[key] = exampleOf(prop, schemas, depth + 1);
    }
    return out;
  }
  if (type === "array") return s.items ? [exampleOf(s.items, schemas, depth + 1)] : [];
  if (type === "integer" || type === "number") return s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
  if (type === "boolean") return true;
  if (type === "string") return s.format === "uuid" ? "00000000-0000-4000-8000-000000000000" : "string";
  return null;
}

/** The curl command for an operation, with the key and base URL as shell variables. */
export function curlFor(opts: { method: string; path: string; authenticated: boolean; body?: unknown }): string {
  const parts = [`curl -X ${opts.method.toUpperCase()} "$PROOFGRID_URL${opts.path.replace(/\{(\w+)\}/g, "<$1>")}"`];
  if (opts.authenticated) parts.push(`-H "Authorization: Bearer $PROOFGRID_API_KEY"`);
  if (opts.body !== undefined) {
    parts.push(`-H "content-type: application/json"`);
    // Single-quoted for the shell: a ' inside the JSON is closed, escaped and reopened.
    parts.push(`-d '${JSON.stringify(opts.body).replaceAll("'", `'\\''`)}'`);
  }
  return parts.join(" \\\n  ");
}
