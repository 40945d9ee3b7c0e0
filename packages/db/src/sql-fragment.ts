import type { Db } from "./db-types.ts";

/**
 * A piece of a parameterised statement: text with `${value}` holes, as a tagged template
 * gives it. A fragment put in a hole of another is spliced in (its own holes stay holes), so
 * one statement can be built from the parts several queries share — the ledger's transfer
 * CTEs, posted alone or after a job's insert — without a value ever becoming SQL text.
 */
export interface SqlFragment {
  readonly strings: readonly string[];
  readonly values: readonly unknown[];
}

const FRAGMENT = Symbol("sql fragment");
type Marked = SqlFragment & { [FRAGMENT]: true };

function isFragment(v: unknown): v is Marked {
  return typeof v === "object" && v !== null && (v as Partial<Marked>)[FRAGMENT] === true;
}

/** Tagged template: `sqlFragment\`... ${value} ... ${otherFragment} ...\``. */
export function sqlFragment(strings: TemplateStringsArray, ...values: unknown[]): SqlFragment {
  const out: string[] = [strings[0] ?? ""];
  const vals: unknown[] = [];
  values.forEach((v, i) => {
    const next = strings[i + 1] ?? "";
    if (isFragment(v)) {
      // Glue the fragment's first text to ours, its holes after ours, its last text to what follows.
      out[out.length - 1] += v.strings[0] ?? "";
      for (let k = 0; k < v.values.length; k++) {
        vals.push(v.values[k]);
        out.push(v.strings[k + 1] ?? "");
      }
      out[out.length - 1] += next;
    } else {
      vals.push(v);
      out.push(next);
    }
  });
  return { strings: out, values: vals, [FRAGMENT]: true } as Marked;
}

/** Runs a fragment as a query (either client: both take a template's strings and values). */
export function queryFragment<T>(db: Db, f: SqlFragment): PromiseLike<T> {
  const strings = Object.assign([...f.strings], { raw: [...f.strings] }) as unknown as TemplateStringsArray;
  return db.$queryRaw<T>(strings, ...f.values);
}
