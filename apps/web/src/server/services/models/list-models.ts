import { db } from "../../db.ts";
import { getEnv } from "../../env.ts";
import { priceForCost } from "../billing/pricing.ts";

export async function listModels() {
  const rows = await db().model.findMany({
    select: { id: true, slug: true, name: true, kind: true, description: true, signature: true, baseCostMilliCu: true, synthetic: true },
    orderBy: { slug: "asc" },
    take: 500,
  });
  const pricePerCuBaseUnits = getEnv().PRICE_PER_CU_BASE_UNITS;
  return rows.map((m) => ({ ...m, basePrice: priceForCost(m.baseCostMilliCu, pricePerCuBaseUnits).toString() }));
}
