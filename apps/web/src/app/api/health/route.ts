import { getPrisma } from "@proofgrid/db/client";
export const dynamic = "force-dynamic";
export async function GET() {
  const rows = await getPrisma().$queryRaw<{ ok: number }[]>`select 1 as ok`;
  return Response.json({ ok: rows[0]?.ok === 1 });
}
