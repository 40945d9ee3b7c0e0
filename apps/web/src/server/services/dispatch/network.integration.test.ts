import { sql } from "@proofgrid/db/sql-client";
import { beforeAll, describe, expect, it } from "vitest";
import { createModel, createWorker, ENCODER } from "../../testing/job-fixtures.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { loadProviderExposures } from "../verification/exposure.ts";
import { loadNetwork } from "./network.ts";

// The dispatcher's view of the network reads the providers' exposure books alongside the
// workers, for the providers the previous read found (issue 15). A provider that was not
// among them must still get its own book, never none (none would place on it without limit).

setupServiceDatabase({ name: "network", env: { POR_CHALLENGES: "0" } });

let encoderId: string;
beforeAll(async () => {
  encoderId = await createModel(ENCODER);
});

/** Each placeable worker's headroom in the view, and as a direct read of its provider's book says. */
async function headrooms() {
  const view = await loadNetwork(sql());
  const direct = await loadProviderExposures(
    sql(),
    view.map((w) => w.orgId),
  );
  return view.map((w) => ({
    id: w.id,
    inView: w.exposure?.headroom(w.id) ?? null,
    direct: direct.get(w.orgId)?.book.headroom(w.id) ?? null,
    minStakeOk: w.minStakeOk,
  }));
}

describe("loadNetwork", () => {
  it("gives a provider that comes online between two reads its own exposure book", async () => {
    const first = await createOrg("first-provider", "provider");
    const a = await createWorker({ orgId: first, models: [encoderId] });
    const before = await headrooms();
    expect(before.map((w) => w.id)).toEqual([a.identity.id]);
    expect(before[0]?.inView).not.toBeNull();
    expect(before[0]?.inView).toBe(before[0]?.direct);

    // A provider the last read did not see: read after the guess, in the same call.
    const second = await createOrg("second-provider", "provider");
    const b = await createWorker({ orgId: second, models: [encoderId] });
    // The starter allowance backs a new provider's first jobs: its book has room.
    for (const read of [await headrooms(), await headrooms()]) {
      expect(new Set(read.map((w) => w.id))).toEqual(new Set([a.identity.id, b.identity.id]));
      for (const w of read) {
        expect(w.inView).not.toBeNull();
        expect(w.inView).toBe(w.direct);
        expect(w.inView).toBeGreaterThan(0n);
        expect(w.minStakeOk).toBe(true);
      }
    }

    // A node of a known provider registered since the last read is in its book too.
    const c = await createWorker({ orgId: second, models: [encoderId] });
    const after = await headrooms();
    expect(after.find((w) => w.id === c.identity.id)).toMatchObject({ minStakeOk: true });
    for (const w of after) expect(w.inView).toBe(w.direct);
  });
});
