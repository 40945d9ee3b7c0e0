import type { Db } from "../db-types.ts";
import type { CardReversalKind } from "../generated/prisma/enums.ts";

export type { CardReversalKind };

/**
 * A `card_reversals` row as raw SQL reads it (the columns any query here selects). int8
 * columns arrive as decimal strings from node-postgres.
 */
export interface CardReversalRow {
  id: string;
  kind: CardReversalKind;
  amount_minor: string;
}

export interface InsertCardReversalOptions {
  purchaseId: string;
  orgId: string;
  stripeEventId: string;
  stripeDisputeId: string | null;
  kind: CardReversalKind;
  amountMinor: bigint;
  /** Base units taken back (+) or returned (−). */
  tokens: bigint;
  fromBalance: bigint;
  toDebt: bigint;
  transferId: string;
}

/** One row per Stripe event: an event seen again inserts nothing. */
export async function insertCardReversal(db: Db, opts: InsertCardReversalOptions): Promise<void> {
  await db.$executeRaw`
    INSERT INTO card_reversals
      (id, purchase_id, org_id, stripe_event_id, stripe_dispute_id, kind, amount_minor, tokens, from_balance, to_debt, transfer_id)
    VALUES (gen_random_uuid(), ${opts.purchaseId}::uuid, ${opts.orgId}::uuid, ${opts.stripeEventId}, ${opts.stripeDisputeId},
            ${opts.kind}::"CardReversalKind", ${opts.amountMinor}, ${opts.tokens}, ${opts.fromBalance}, ${opts.toDebt},
            ${opts.transferId}::uuid)
    ON CONFLICT (stripe_event_id) DO NOTHING`;
}

/**
 * A dispute's opening or win that moved no tokens, recorded anyway (no transfer) so that the
 * dispute's later events recognise it. One row per Stripe event.
 */
export async function insertDisputeMark(
  db: Db,
  opts: {
    kind: "dispute" | "dispute_won";
    purchaseId: string;
    orgId: string;
    stripeEventId: string;
    stripeDisputeId: string;
    amountMinor: bigint;
  },
): Promise<void> {
  if (opts.kind === "dispute") {
    await db.$executeRaw`
      INSERT INTO card_reversals
        (id, purchase_id, org_id, stripe_event_id, stripe_dispute_id, kind, amount_minor, tokens, from_balance, to_debt, transfer_id)
      SELECT gen_random_uuid(), ${opts.purchaseId}::uuid, ${opts.orgId}::uuid, ${opts.stripeEventId}, ${opts.stripeDisputeId},
             'dispute', ${opts.amountMinor}, 0, 0, 0, NULL
      ON CONFLICT (stripe_event_id) DO NOTHING`;
    return;
  }
  await db.$executeRaw`
    INSERT INTO card_reversals
      (id, purchase_id, org_id, stripe_event_id, stripe_dispute_id, kind, amount_minor, tokens, from_balance, to_debt, transfer_id)
    SELECT gen_random_uuid(), ${opts.purchaseId}::uuid, ${opts.orgId}::uuid, ${opts.stripeEventId}, ${opts.stripeDisputeId},
           'dispute_won', ${opts.amountMinor}, 0, 0, 0, NULL
    ON CONFLICT (stripe_event_id) DO NOTHING`;
}

/** Whether the dispute's opening was recorded already. */
export async function hasDisputeOpened(db: Db, opts: { disputeId: string }): Promise<boolean> {
  const rows = await db.$queryRaw<Pick<CardReversalRow, "id">[]>`
    SELECT id FROM card_reversals WHERE stripe_dispute_id = ${opts.disputeId} AND kind = 'dispute' LIMIT 1`;
  return rows.length > 0;
}

/** The dispute's opening and win, as far as they were recorded. */
export async function loadDisputeReversals(db: Db, opts: { disputeId: string }): Promise<Pick<CardReversalRow, "kind" | "amount_minor">[]> {
  return db.$queryRaw<Pick<CardReversalRow, "kind" | "amount_minor">[]>`
    SELECT kind, amount_minor FROM card_reversals WHERE stripe_dispute_id = ${opts.disputeId} AND kind IN ('dispute', 'dispute_won')`;
}
