import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sql } from "@proofgrid/db/sql-client";
import { countFinishedJobs, loadUsageCsvBatch, type UsageCsvRow } from "@proofgrid/db/usage/usage-export-rows";
import { stringify } from "csv-stringify";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { formatTokens } from "../billing/get-balance.ts";
import { regionLocation } from "../dispatch/network.ts";
import { customerAccountCodes, SPEND_TRANSFER_KINDS } from "./usage-window.ts";

/** A spreadsheet opens 100 000 rows comfortably; more is a job for the API's pages. */
export const MAX_EXPORT_ROWS = 100_000;
/** A quarter (three months of 31 days): the range an accountant asks for at most. */
export const MAX_EXPORT_RANGE_DAYS = 93;
export const DEFAULT_EXPORT_RANGE_DAYS = 30;
/** Rows per query: each batch is a keyset page of the (org_id, finished_at) index. */
const BATCH_ROWS = 5_000;
const DAY_MS = 86_400_000;

export const USAGE_CSV_COLUMNS = [
  "job_id",
  "created_at",
  "finished_at",
  "model",
  "state",
  "cost_cu",
  "charged_tokens",
  "worker_region",
  "verification",
] as const;

/** `2026-11-01` (a whole UTC day) or an ISO 8601 time with its offset. */
const ZDateParam = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: "expected a date (2026-11-01) or an ISO 8601 time with a zone (2026-11-01T12:00:00Z)",
});

export const ZUsageExportRequest = z.object({ from: ZDateParam.optional(), to: ZDateParam.optional() });
export type TUsageExportRequest = z.input<typeof ZUsageExportRequest>;

/**
 * The range a request asks for: `to` defaults to now and `from` to 30 days before it; a
 * date alone covers its whole UTC day, so `?from=2026-11-01&to=2026-11-30` is all of November.
 */
export function exportRange(request: TUsageExportRequest, now: number): { from: Date; to: Date } {
  const isDay = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s);
  const parse = (s: string, endOfDay: boolean) =>
    new Date(Date.parse(isDay(s) ? `${s}T00:00:00Z` : s) + (endOfDay && isDay(s) ? DAY_MS : 0));
  const to = request.to ? parse(request.to, true) : new Date(now);
  const from = request.from ? parse(request.from, false) : new Date(to.getTime() - DEFAULT_EXPORT_RANGE_DAYS * DAY_MS);
  if (from.getTime() >= to.getTime()) throw new AppError("BAD_REQUEST", "invalid range: 'from' must be before 'to'");
  if (to.getTime() - from.getTime() > MAX_EXPORT_RANGE_DAYS * DAY_MS) {
    throw new AppError("BAD_REQUEST", `invalid range: at most ${MAX_EXPORT_RANGE_DAYS} days per export; ask for several ranges`);
  }
  return { from, to };
}

export interface UsageCsv {
  filename: string;
  rows: number;
  /** The CSV, header first, produced batch by batch as the client reads it. */
  body: ReadableStream<Uint8Array>;
}

/**
 * One row per finished job of the organisation (by finished_at in [from, to)), oldest
 * first: what it ran, how it ended, its cost in CU and what the customer was charged for
 * it (from the ledger: the settlement, less a refund or a re-run grant). The row count is
 * checked first, so a range over the limit is a 400 rather than a file cut short.
 */
export async function exportUsageCsv(opts: { orgId: string; request: TUsageExportRequest; now?: number }): Promise<UsageCsv> {
  const parsed = ZUsageExportRequest.safeParse(opts.request);
  if (!parsed.success) {
    throw new AppError("BAD_REQUEST", `invalid request: ${z.prettifyError(parsed.error)}`, z.flattenError(parsed.error));
  }
  const { from, to } = exportRange(parsed.data, opts.now ?? Date.now());
  const lo = from.getTime();
  const hi = to.getTime();
  const rows = await countFinishedJobs(sql(), { orgId: opts.orgId, fromMs: lo, toMs: hi, limit: MAX_EXPORT_ROWS + 1 });
  if (rows > MAX_EXPORT_ROWS) {
    throw new AppError("BAD_REQUEST", `the range holds more than ${MAX_EXPORT_ROWS.toLocaleString("en")} jobs: ask for a shorter range`, {
      maxRows: MAX_EXPORT_ROWS,
    });
  }

  const codes = customerAccountCodes(opts.orgId);
  const kinds = [...SPEND_TRANSFER_KINDS];
  async function* records() {
    let after: { k: string; id: string } | null = null;
    // Jobs that finish while the file streams may join it, never past the limit.
    for (let sent = 0; sent < MAX_EXPORT_ROWS; ) {
      const limit = Math.min(BATCH_ROWS, MAX_EXPORT_ROWS - sent);
      const batch: UsageCsvRow[] = await loadUsageCsvBatch(sql(), {
        orgId: opts.orgId,
        fromMs: lo,
        toMs: hi,
        accountCodes: codes,
        transferKinds: kinds,
        after,
        limit,
      });
      for (const r of batch) {
        yield {
          job_id: r.id,
          created_at: r.created_at,
          finished_at: r.finished_at,
          model: r.model,
          state: r.state,
          cost_cu: (r.cost_milli_cu / 1000).toFixed(3),
          charged_tokens: formatTokens(r.charged),
          // As the job view shows it: a worker declared `local` runs in the platform's region.
          worker_region: r.worker_region === null ? "" : regionLocation(r.worker_region).region,
          verification: r.verification,
        } satisfies Record<(typeof USAGE_CSV_COLUMNS)[number], string>;
      }
      sent += batch.length;
      const last = batch.at(-1);
      if (!last || batch.length < limit) return;
      after = { k: last.k, id: last.id };
    }
  }

  const csv = stringify({ header: true, columns: [...USAGE_CSV_COLUMNS] });
  // pipeline() ends the generator (and its queries) when the client goes away mid-download.
  pipeline(Readable.from(records()), csv).catch((err: unknown) => {
    if ((err as { code?: string }).code !== "ERR_STREAM_PREMATURE_CLOSE")
      logger.error({ err, orgId: opts.orgId }, "usage export failed mid-stream");
  });
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return {
    filename: `proofgrid-usage-${day(from)}-to-${day(new Date(hi - 1))}.csv`,
    rows,
    body: Readable.toWeb(csv) as ReadableStream<Uint8Array>,
  };
}
