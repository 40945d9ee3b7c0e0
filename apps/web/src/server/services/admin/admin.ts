import { checkLedger, getBalances, SYSTEM_ACCOUNTS } from "@proofgrid/db/ledger";
import {
  listActiveLicences,
  listOrganizationSummaries,
  listQuarantinedNodes,
  liftNodeQuarantine,
  loadPlatformCounts,
} from "@proofgrid/db/admin/admin-rows";
import { sql } from "@proofgrid/db/sql-client";
import { z } from "zod";
import { db } from "../../db.ts";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { pgText } from "../../http/safe-text.ts";

// What a platform administrator sees and does (the web's /admin and `npm run admin`):
// the network at a glance with the ledger's own check, the organisations with their
// balances, grants, checker licences and quarantined nodes to review.

export async function platformOverview() {
  const [c, ledger, system] = await Promise.all([
    loadPlatformCounts(sql()),
    checkLedger(db()),
    getBalances(db(), [SYSTEM_ACCOUNTS.treasury.code, SYSTEM_ACCOUNTS.emissionPool.code, SYSTEM_ACCOUNTS.protocolFee.code]),
  ]);
  if (!c) throw new Error("platform counts: no row");
  return {
    organizations: c.organizations,
    users: c.users,
    workersOnline: c.workers_online,
    checkersOnline: c.checkers_online,
    quarantined: c.quarantined,
    jobs24h: c.jobs_24h,
    failed24h: c.failed_24h,
    openChecks: c.open_checks,
    licences: c.licences,
    ledger: { ok: ledger.ok, unbalancedTransfers: ledger.unbalancedTransfers.length, mismatchedAccounts: ledger.mismatchedAccounts.length },
    treasury: (system.get(SYSTEM_ACCOUNTS.treasury.code) ?? 0n).toString(),
    emissionPool: (system.get(SYSTEM_ACCOUNTS.emissionPool.code) ?? 0n).toString(),
    protocolFees: (system.get(SYSTEM_ACCOUNTS.protocolFee.code) ?? 0n).toString(),
  };
}

export const ZListOrganizations = z.object({
  search: pgText().trim().max(80).optional(),
  limit: z.number().int().min(1).max(100).default(50),
});

/** Organisations, newest first, optionally by name or slug, with members, nodes and balances. */
export async function listOrganizations(input: z.input<typeof ZListOrganizations>) {
  const { search, limit } = ZListOrganizations.parse(input);
  const pattern = search ? `%${search.replace(/[\\%_]/g, (m) => `\\${m}`)}%` : null;
  const rows = await listOrganizationSummaries(sql(), { pattern, limit });
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    slug: r.slug,
    kind: r.kind,
    createdAt: r.created_at.toISOString(),
    members: r.members,
    nodes: r.nodes,
    available: (r.available ?? 0n).toString(),
    held: (r.held ?? 0n).toString(),
    earnings: (r.earnings ?? 0n).toString(),
  }));
}

/** Quarantined nodes with why, newest first: the cases an administrator reviews. */
export async function listQuarantined(limit = 100) {
  const rows = await listQuarantinedNodes(sql(), { limit: Math.min(Math.max(1, limit), 500) });
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    role: r.role,
    orgName: r.org_name,
    region: r.region,
    reason: r.quarantine_reason,
    lastSeenAt: r.last_seen_at?.toISOString() ?? null,
  }));
}

/**
 * Returns a quarantined node to service after review, at half priority (its verdict history
 * stays). It comes back 'online' and is marked offline by the sweeper if it is not heard.
 */
export async function liftQuarantine(nodeId: string) {
  const n = await liftNodeQuarantine(sql(), { nodeId });
  if (Number(n) === 0) throw new AppError("NOT_FOUND", "no quarantined node with this id");
  logger.warn({ nodeId }, "quarantine lifted");
  return { lifted: nodeId, priorityFactor: 0.5 };
}

/** Active checker licences, with the provider that holds each and the node using it. */
export async function listLicences() {
  const rows = await listActiveLicences(sql());
  return rows.map((r) => ({
    id: r.id,
    orgName: r.org_name,
    orgSlug: r.org_slug,
    nodeId: r.node_id,
    note: r.note,
    createdAt: r.created_at.toISOString(),
  }));
}
