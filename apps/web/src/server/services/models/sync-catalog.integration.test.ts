import { listBuiltinModels } from "@proofgrid/models";
import { describe, expect, it } from "vitest";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { syncBuiltinCatalog } from "./sync-catalog.ts";

// The built-in catalog is written to the models table at start-up (and by the seed). A new
// release of a model's package changes its id (the sha256 of its files): the slug moves to
// the new id and the old model keeps its jobs under a versioned slug. A model already in the
// table is brought up to date with the catalog.

const db = setupServiceDatabase({ name: "sync-catalog" });

describe("syncBuiltinCatalog", () => {
  it("moves a slug to a new release's id, brings existing rows up to date, and changes nothing when run again", async () => {
    const builtins = await listBuiltinModels();
    const [moved, stale] = builtins;
    if (!moved || !stale) throw new Error("the catalog has at least two built-in models");
    const oldId = "0".repeat(64);
    await db.t.prisma.model.create({
      data: { id: oldId, slug: moved.slug, name: "old release", kind: moved.kind, description: "old", signature: {}, baseCostMilliCu: 1 },
    });
    await db.t.prisma.model.create({
      data: {
        id: stale.id,
        slug: `${stale.slug}-renamed`,
        name: "stale",
        kind: stale.kind,
        description: "stale",
        signature: [],
        baseCostMilliCu: 1,
        synthetic: !stale.synthetic,
        builtIn: false,
      },
    });

    expect(await syncBuiltinCatalog()).toEqual(builtins.map((m) => ({ slug: m.slug, id: m.id })));

    const old = await db.t.prisma.model.findUniqueOrThrow({ where: { id: oldId } });
    expect(old).toMatchObject({ slug: `${moved.slug}@${oldId.slice(0, 12)}`, name: "old release" });
    const rows = async () =>
      (
        await db.t.prisma.model.findMany({
          where: { id: { in: builtins.map((m) => m.id) } },
          select: {
            id: true,
            slug: true,
            name: true,
            kind: true,
            description: true,
            signature: true,
            baseCostMilliCu: true,
            synthetic: true,
            builtIn: true,
          },
        })
      ).sort((a, b) => (a.id < b.id ? -1 : 1));
    const expected = builtins
      .map((m) => ({
        id: m.id,
        slug: m.slug,
        name: m.name,
        kind: m.kind,
        description: m.description,
        // Through JSON, as jsonb keeps it.
        signature: JSON.parse(JSON.stringify(m.signature)) as unknown,
        baseCostMilliCu: m.baseCostMilliCu,
        synthetic: m.synthetic,
        builtIn: true,
      }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(await rows()).toEqual(expected);

    await syncBuiltinCatalog();
    expect(await rows()).toEqual(expected);
    expect(await db.t.prisma.model.count()).toBe(builtins.length + 1);
  });
});
