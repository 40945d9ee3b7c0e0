import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SelectionQueue } from "./selection-queue.ts";

const STRIDE = 3;

describe("SelectionQueue", () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant("add" as const), selections: fc.integer({ min: 0, max: 6 }) }),
    fc.record({ kind: fc.constant("remove" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("increment" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("set" as const), at: fc.nat(), selections: fc.integer({ min: 0, max: 6 }) }),
  );

  it("keeps rows least-selected first, each row's numbers and owner with its handle, after any operations", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const queue = new SelectionQueue<string>(STRIDE, 2);
        /** The reference: handle → (owner, selections). */
        const model = new Map<number, { owner: string; selections: number }>();
        let added = 0;
        for (const o of ops) {
          const handles = [...model.keys()];
          const handle = handles[("at" in o ? o.at : 0) % Math.max(1, handles.length)];
          if (o.kind === "add") {
            const owner = `w${added++}`;
            const h = queue.add(owner, o.selections);
            expect(model.has(h)).toBe(false);
            // Each row carries its owner's number in every field, to check rows move whole.
            queue.rows.fill(added, queue.positionOf(h) * STRIDE, queue.positionOf(h) * STRIDE + STRIDE);
            model.set(h, { owner, selections: o.selections });
          } else if (handle !== undefined) {
            const m = model.get(handle) as { owner: string; selections: number };
            if (o.kind === "remove") {
              queue.remove(handle);
              model.delete(handle);
            } else {
              m.selections = o.kind === "increment" ? m.selections + 1 : o.selections;
              queue.setSelections(handle, m.selections);
            }
          }
          expect(queue.size).toBe(model.size);
          const seen: number[] = [];
          for (const [h, m] of model) {
            const at = queue.positionOf(h);
            expect(at).toBeGreaterThanOrEqual(0);
            expect(at).toBeLessThan(queue.size);
            expect(queue.ownerAt(at)).toBe(m.owner);
            const tag = Number(m.owner.slice(1)) + 1;
            expect([...queue.rows.subarray(at * STRIDE, at * STRIDE + STRIDE)]).toEqual([tag, tag, tag]);
            seen[at] = m.selections;
          }
          for (let i = 1; i < seen.length; i++) expect(seen[i - 1] as number).toBeLessThanOrEqual(seen[i] as number);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a handle that is not in the queue", () => {
    const queue = new SelectionQueue<string>(STRIDE);
    const h = queue.add("a", 0);
    queue.remove(h);
    expect(() => queue.remove(h)).toThrow(/not in the queue/);
    expect(() => queue.setSelections(99, 1)).toThrow(/not in the queue/);
  });
});
