import { ensureAccounts, LedgerError, orgAccount, orgAccountCode, postTransfer } from "@proofgrid/db/ledger";
import { insertReservationNodes, loadFreeCandidates, lockCandidateNodes } from "@proofgrid/db/reservations/reservation-candidates";
import { findReservationByKey, insertReservation, type ReservationKeyRow } from "@proofgrid/db/reservations/reservation-rows";
import { sql, sqlTransaction } from "@proofgrid/db/sql-client";
import { findRegion } from "@proofgrid/indexer";
import { z } from "zod";
import { getEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { logger } from "../../logger.ts";
import { ensureOrgAccounts } from "../billing/org-accounts.ts";
import { ZIdempotencyKey } from "../idempotency/run-idempotent.ts";
import { resolveModel } from "../models/resolve-model.ts";
import { getPorConfig } from "../verification/por-config.ts";
import { RESERVATION_LIMITS as L } from "./reservation-config.ts";
import { costUpTo, MS_PER_HOUR } from "./reservation-pricing.ts";
import { loadReservationView, type ReservationView, reservationHoldKey } from "./reservation-view.ts";
import { formatTokens } from "../billing/tokens.ts";
import { pgText } from "../../http/safe-text.ts";
import { isUniqueViolation } from "@proofgrid/db/db-errors";

const ZIsoTime = z.iso.datetime({ offset: true, message: "an ISO 8601 time, e.g. 2026-01-31T12:00:00Z" });

export const ZBookReservationRequest = z
  .object({
    /** `local` (workers on the platform's own machine) or a region id, e.g. `eu-central`. */
    region: z
      .string()
      .min(1)
      .max(40)
      .refine((r) => r === "local" || findRegion(r) !== undefined, {
        message: "unknown region: 'local' or a region id such as 'eu-central' or 'us-east'",
      }),
    /** The capability class: every reserved worker has at least this many CU per hour. */
    minCuPerHour: z.number().int().min(1).max(L.maxMinCuPerHour),
    count: z.number().int().min(1).max(L.maxCount),
    /** Model slug or sha256 id: only workers that serve it are reserved. */
    model: pgText().min(1).max(100).optional(),
    /** Length of the window from `startsAt` (fractions allowed); or give `endsAt`. */
    hours: z.number().positive().max(L.maxHours).optional(),
    /** Default: now. At most a minute in the past (the request was in flight). */
    startsAt: ZIsoTime.optional(),
    endsAt: ZIsoTime.optional(),
    /** Retrying with the same key returns the first reservation and holds once. Required,
     * here or as an `Idempotency-Key` header. */
    idempotencyKey: ZIdempotencyKey.optional(),
  })
  .strict()
  .refine((r) => (r.hours === undefined) !== (r.endsAt === undefined), {
    message: "give exactly one of hours and endsAt",
    path: ["hours"],
  });
export type TBookReservationRequest = z.infer<typeof ZBookReservationRequest>;

export interface BookReservationResult {
  reservation: ReservationView;
  /** False when the idempotency key had already booked (the first reservation is returned). */
  created: boolean;
}

/**
 * Reserves `count` workers of at least `minCuPerHour` in `region` for a window, at the
 * listed price (the highest ask among the workers chosen, per CU-hour of capacity), and
 * holds the whole window's cost from the organisation's available balance. The workers
 * are locked, chosen, recorded and the hold posted in one transaction: either the
 * reservation exists and its cost is held, or nothing changed.
 */
export async function bookReservation(opts: {
  orgId: string;
  request: TBookReservationRequest;
  now?: Date;
}): Promise<BookReservationResult> {
  const { orgId, request } = opts;
  const key = request.idempotencyKey;
  if (!key) throw new AppError("BAD_REQUEST", "an idempotency key is required: send an Idempotency-Key header (a UUID works)");
  const now = opts.now ?? new Date();
  const { startsAt, endsAt } = windowOf(request, now);
  const model = request.model ? await modelOrBadRequest(request.model) : null;

  const existing = await findReservationByKey(sql(), { orgId, key });
  if (existing) return replay(orgId, existing, request, model?.id ?? null);

  const listPrice = BigInt(getEnv().PRICE_PER_CU_BASE_UNITS);
  const por = getPorConfig();
  const durationMs = endsAt.getTime() - startsAt.getTime();
  let total = 0n;
  try {
    const id = await sqlTransaction(async (tx) => {
      await ensureOrgAccounts(tx, orgId);
      // Lock every candidate before asking which are free (lockCandidateNodes says why).
      const locked = await lockCandidateNodes(tx, {
        region: request.region,
        minCuPerHour: request.minCuPerHour,
        orgId,
        modelId: model?.id ?? null,
        limit: L.maxCandidates,
      });
      const rows = await loadFreeCandidates(tx, { nodeIds: locked.map((r) => r.id), listPrice, startsAt, endsAt });
      // Reserved capacity is billed by the hour, not per job, so the starter allowance (per
      // job, small) does not cover it: a rented worker must have stake bonded.
      const free = rows.filter((r) => !por.stakeRequired || BigInt(r.stake) > 0n);
      if (free.length < request.count) {
        throw new AppError(
          "CONFLICT",
          `only ${free.length} of the ${request.count} requested workers are free in '${request.region}' with at least ${request.minCuPerHour} CU/h` +
            `${model ? ` serving ${model.slug}` : ""} for that window`,
          { available: free.length, requested: request.count },
        );
      }
      const chosen = free.slice(0, request.count);
      let price = 0n;
      for (const n of chosen) if (BigInt(n.ask) > price) price = BigInt(n.ask);
      // Each worker's share is rounded up once, over the whole window; the bills are
      // differences of the same function, so they add up to this hold exactly.
      total = chosen.reduce((s, n) => s + costUpTo({ cuPerHour: n.cu_per_hour, pricePerCuBaseUnits: price, elapsedMs: durationMs }), 0n);

      const providers = [...new Set(chosen.map((n) => n.org_id))];
      await ensureAccounts(
        tx,
        providers.map((p) => orgAccount(p, "earnings")),
      );
      const id = await insertReservation(tx, {
        orgId,
        region: request.region,
        minCuPerHour: request.minCuPerHour,
        count: request.count,
        modelId: model?.id ?? null,
        pricePerCuBaseUnits: price,
        startsAt,
        endsAt,
        idempotencyKey: key,
      });
      if (!id) throw new Error("reservation insert returned no row");
      await insertReservationNodes(tx, { reservationId: id, nodes: chosen });
      await postTransfer(tx, {
        idempotencyKey: reservationHoldKey(id),
        kind: "reservation_hold",
        memo: `reservation ${id}: ${request.count} worker(s) in ${request.region}, ${durationMs} ms at ${price} per CU-hour`,
        legs: [
          { code: orgAccountCode(orgId, "available"), amount: -total },
          { code: orgAccountCode(orgId, "held"), amount: total },
        ],
      });
      return id;
    });
    logger.info(
      { reservationId: id, orgId, region: request.region, count: request.count, held: total.toString(), startsAt, endsAt },
      "reservation booked",
    );
    return { reservation: await loadReservationView(sql(), { orgId, reservationId: id }), created: true };
  } catch (err) {
    if (err instanceof LedgerError && err.code === "insufficient_funds") {
      throw new AppError(
        "INSUFFICIENT_CREDITS",
        `insufficient credits: this reservation holds ${formatTokens(total)} tokens for its window, more than this organisation has available`,
        {
          price: total.toString(),
        },
      );
    }
    if (isUniqueViolation(err)) {
      // A concurrent retry with the same key won the race: return its reservation.
      const again = await findReservationByKey(sql(), { orgId, key });
      if (again) return replay(orgId, again, request, model?.id ?? null);
    }
    throw err;
  }
}

/** The operation name idempotency keys of bookings are scoped to (REST and tRPC alike). */
export const BOOK_RESERVATION_OPERATION = "reservations.book";

/** A booking as an answer: 201 for a new reservation, 200 for one its key had booked earlier. */
export async function bookReservationAnswer(opts: { orgId: string; request: TBookReservationRequest }) {
  const res = await bookReservation(opts);
  return { status: res.created ? 201 : 200, body: res };
}

function windowOf(request: TBookReservationRequest, now: Date): { startsAt: Date; endsAt: Date } {
  const startsAt = request.startsAt ? new Date(request.startsAt) : now;
  if (startsAt.getTime() < now.getTime() - L.startSlackMs)
    throw new AppError("BAD_REQUEST", "startsAt is in the past: a reservation starts now or later");
  if (startsAt.getTime() > now.getTime() + L.maxLeadMs)
    throw new AppError("BAD_REQUEST", `startsAt is more than ${L.maxLeadMs / 86_400_000} days ahead`);
  const endsAt =
    request.endsAt !== undefined
      ? new Date(request.endsAt)
      : new Date(startsAt.getTime() + Math.round((request.hours ?? 0) * Number(MS_PER_HOUR)));
  const durationMs = endsAt.getTime() - startsAt.getTime();
  if (durationMs < L.minWindowMs)
    throw new AppError("BAD_REQUEST", `the window must be at least ${L.minWindowMs / 1000} s long (endsAt after startsAt)`);
  if (durationMs > L.maxHours * Number(MS_PER_HOUR))
    throw new AppError("BAD_REQUEST", `the window must be at most ${L.maxHours} hours long`);
  return { startsAt, endsAt };
}

async function modelOrBadRequest(ref: string) {
  try {
    return await resolveModel(ref);
  } catch (err) {
    if (err instanceof AppError && err.code === "NOT_FOUND") throw new AppError("BAD_REQUEST", err.message);
    throw err;
  }
}

async function replay(
  orgId: string,
  row: ReservationKeyRow,
  request: TBookReservationRequest,
  modelId: string | null,
): Promise<BookReservationResult> {
  if (
    row.region !== request.region ||
    row.min_cu_per_hour !== request.minCuPerHour ||
    row.count !== request.count ||
    row.model_id !== modelId
  ) {
    throw new AppError("UNPROCESSABLE", "this idempotency key was already used for a different reservation: use a new key");
  }
  return { reservation: await loadReservationView(sql(), { orgId, reservationId: row.id }), created: false };
}
