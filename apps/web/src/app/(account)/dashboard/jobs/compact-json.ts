/**
 * JSON for people: indented like JSON.stringify(v, null, 2), except that an array of numbers
 * stays on one line (wrapped by the page), so a 384-float embedding is a paragraph, not 384
 * lines (a 9 820 px page). Numbers keep every digit: it is still the output, not a summary.
 */
export function compactJson(value: unknown, indent = ""): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    if (value.every((v) => typeof v === "number")) return `[${value.join(", ")}]`;
    const inner = `${indent}  `;
    return `[\n${value.map((v) => `${inner}${compactJson(v, inner)}`).join(",\n")}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== "function");
    if (entries.length === 0) return "{}";
    const inner = `${indent}  `;
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, inner)}`).join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(value) ?? "null";
}
