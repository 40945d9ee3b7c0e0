import { priceForJob } from "@proofgrid/por";

/** A job's price in token base units: its CU cost times the price per CU, rounded up. */
export function priceForCost(costMilliCu: number, pricePerCuBaseUnits: number | bigint): bigint {
  return BigInt(priceForJob({ costMilliCu, pricePerCuBaseUnits }));
}
