import { formatTokenAmount } from "~/server/services/billing/tokens";

// How a page shows a model: its cost in Compute Units, its price per job, its tensors, and
// the fields an uploaded model may carry beyond what list-models.ts returns today (its owner
// organisation and a per-job royalty, issue 17), read defensively so a page shows them
// when present and reads the same without them.

/** An uploaded model's owner and per-job royalty (base units), when the listing carries them. */
export function customExtras(custom: object): { owner: string | null; royalty: bigint | null } {
  const c = custom as Record<string, unknown>;
  const royalty = typeof c.royalty === "string" && /^\d{1,30}$/.test(c.royalty) ? BigInt(c.royalty) : null;
  const owner = typeof c.owner === "string" && c.owner.trim() ? c.owner.trim() : null;
  return { owner, royalty };
}

/** What one job at the model's base cost is charged: the base price, plus the owner's royalty when there is one. */
export function pricePerJob(basePrice: string, royalty: bigint | null): bigint {
  return BigInt(basePrice) + (royalty ?? 0n);
}

export const formatPrice = (baseUnits: bigint | string) => `${formatTokenAmount(baseUnits)} tokens`;

/** 1 CU = 1 s on the reference machine; costs are kept in milli-CU. */
export const formatCu = (milliCu: number) => `${(milliCu / 1000).toLocaleString("en-US", { maximumFractionDigits: 3 })} CU`;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

export interface TensorLine {
  name: string;
  elemType: string;
  /** Each dimension's size (a dynamic one at its bound), or null when the signature gives none (outputs). */
  shape: number[] | null;
  /** Names of the dynamic dimensions, by index. */
  dynamic: Record<string, string>;
}

const MAX_TENSORS = 64;

function tensors(v: unknown): TensorLine[] {
  if (!Array.isArray(v)) return [];
  return v.slice(0, MAX_TENSORS).flatMap((t): TensorLine[] => {
    if (!t || typeof t !== "object") return [];
    const r = t as Record<string, unknown>;
    if (typeof r.name !== "string") return [];
    const shape = Array.isArray(r.shape) && r.shape.every((d) => typeof d === "number") ? (r.shape as number[]) : null;
    const dynamic =
      r.dynamic && typeof r.dynamic === "object"
        ? Object.fromEntries(Object.entries(r.dynamic).filter((e): e is [string, string] => typeof e[1] === "string"))
        : {};
    return [{ name: r.name, elemType: typeof r.elemType === "string" ? r.elemType : "?", shape, dynamic }];
  });
}

/**
 * An uploaded model's inputs and outputs from its stored signature (validate-onnx's, with
 * the shapes the reference run produced for outputs at the inputs' bounds), or null for one
 * that is not an ONNX tensor signature (the built-in models describe theirs in JSON Schema).
 */
export function onnxSignature(signature: unknown): { inputs: TensorLine[]; outputs: TensorLine[] } | null {
  if (!signature || typeof signature !== "object") return null;
  const s = signature as Record<string, unknown>;
  if (s.format !== "onnx") return null;
  // The reference run's outputs (`{ name, type, dims }`) carry their shapes at the inputs' bounds: show those.
  const atBounds = new Map<string, number[]>();
  if (Array.isArray(s.outputsAtBounds)) {
    for (const o of s.outputsAtBounds.slice(0, MAX_TENSORS) as unknown[]) {
      const r = (o ?? {}) as Record<string, unknown>;
      if (typeof r.name === "string" && Array.isArray(r.dims) && r.dims.every((d) => typeof d === "number")) {
        atBounds.set(r.name, r.dims as number[]);
      }
    }
  }
  return {
    inputs: tensors(s.inputs),
    outputs: tensors(s.outputs).map((o) => ({ ...o, shape: o.shape ?? atBounds.get(o.name) ?? null })),
  };
}

/** `name: float32[1×3]`, a dynamic dimension as `batch≤8`. */
export function formatTensor(t: TensorLine): string {
  if (!t.shape) return `${t.name}: ${t.elemType}`;
  const dims = t.shape.map((d, i) => {
    const name = t.dynamic[String(i)];
    return name ? `${name}≤${d}` : String(d);
  });
  return `${t.name}: ${t.elemType}[${dims.join("×")}]`;
}
