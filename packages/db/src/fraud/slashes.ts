import type { Db } from "../db-types.ts";

export interface SlashableAccountCodes {
  /** The node's bonded stake, its unbonding stake and its held payouts (ledger account codes). */
  stakeCode: string;
  unbondingCode: string;
  heldCode: string;
}

/** Locks (FOR UPDATE) the node's stake, unbonding and held accounts and reads their balances by code; a missing account is absent. */
export async function lockSlashableBalances(db: Db, opts: SlashableAccountCodes): Promise<Map<string, bigint>> {
  const balances = await db.$queryRaw<{ code: string; balance: bigint }[]>`
    SELECT code, balance FROM ledger_accounts WHERE code IN (${opts.stakeCode}, ${opts.unbondingCode}, ${opts.heldCode}) FOR UPDATE`;
  return new Map(balances.map((b) => [b.code, BigInt(b.balance)]));
}

export interface InsertSlashOptions {
  nodeId: string;
  checkId: string;
  jobId: string | null;
  amount: bigint;
  refunded: bigint;
  epoch: number;
}

/** Records the slash as the public record counts it (epoch statistics, provider records). */
export async function insertSlash(db: Db, opts: InsertSlashOptions): Promise<void> {
  await db.$executeRaw`
    INSERT INTO slashes (id, node_id, check_id, job_id, amount, refunded, epoch)
    VALUES (gen_random_uuid(), ${opts.nodeId}::uuid, ${opts.checkId}::uuid, ${opts.jobId}::uuid, ${opts.amount}, ${opts.refunded},
            ${opts.epoch})`;
}
