// For the stakes and standing statement tests: a fresh database with one provider organisation
// and its one registered node, the rows both sets of statements start from.
//
//   let t: TestDatabase;
//   beforeAll(async () => { ({ t, provider, nodeId } = await createProviderNodeDatabase()); });
//   afterAll(() => t?.drop());
import { createTestDatabase, type TestDatabase } from "./create-test-database.ts";

export interface ProviderNodeDatabase {
  t: TestDatabase;
  /** The provider organisation (slug and name "p"). */
  provider: string;
  /** Its node "n": offline, no models, 3600 CU/h, no ledger accounts. */
  nodeId: string;
}

export async function createProviderNodeDatabase(): Promise<ProviderNodeDatabase> {
  const t = await createTestDatabase();
  try {
    const org = await t.prisma.organization.create({ data: { slug: "p", name: "p", kind: "provider" }, select: { id: true } });
    const node = await t.prisma.node.create({
      data: { orgId: org.id, name: "n", publicKey: "k".repeat(43), region: "local", models: [], claimedCuPerHour: 3600, cuPerHour: 3600 },
      select: { id: true },
    });
    return { t, provider: org.id, nodeId: node.id };
  } catch (err) {
    // The caller never gets `t` to drop.
    await t.drop();
    throw err;
  }
}
