/**
 * The completion path's capacity, in this process: how many worker completions per second
 * the platform's own service (`completeJob`: the receipt and output checks, the fencing
 * token, the stored result, the sampling decision, the settlement) accepts from `clients`
 * concurrent callers, with completions settled one transaction each or in group commits.
 * Jobs are submitted through the real service and put in the `running` state the lease
 * would leave them in by one SQL statement (the lease is not what is measured), spread over
 * 8 workers of one provider. Nothing else runs: no HTTP, no dispatcher, no inference.
 */
import { checkLedger } from "@proofgrid/db/ledger";
import { sql } from "@proofgrid/db/sql-client";
import { resetEnvCache } from "../../apps/web/src/server/env.ts";
import { submitJob } from "../../apps/web/src/server/services/jobs/submit-job.ts";
import {
  completeAs,
  createModel,
  createWorker,
  ENCODER,
  encoderOutput,
  type TestWorker,
} from "../../apps/web/src/server/testing/job-fixtures.ts";
import { createOrg } from "../../apps/web/src/server/testing/service-database.ts";

const WORKERS = 8;

export interface CompletionCapacityOptions {
  /** A migrated, empty database. */
  url: string;
  dataDir: string;
  grouped: boolean;
  jobs: number;
  clients: number;
}

export async function completionCapacity(opts: CompletionCapacityOptions): Promise<{ perS: number }> {
  process.env.DATABASE_URL = opts.url;
  process.env.PROOFGRID_DATA_DIR = opts.dataDir;
  process.env.COMPLETION_GROUP_COMMIT = opts.grouped ? "1" : "0";
  resetEnvCache();
  await createModel(ENCODER);
  const tag = opts.grouped ? "on" : "off";
  const customer = await createOrg(`capacity-customer-${tag}`, "customer", 10n ** 15n);
  const provider = await createOrg(`capacity-provider-${tag}`, "provider");
  const models = (await sql().$queryRaw<{ id: string }[]>`SELECT id FROM models WHERE slug = ${ENCODER}`).map((m) => m.id);
  const workers: TestWorker[] = [];
  for (let i = 0; i < WORKERS; i++) workers.push(await createWorker({ orgId: provider, models, maxConcurrency: opts.jobs }));
  const ids: string[] = [];
  for (let i = 0; i < opts.jobs; i++)
    ids.push((await submitJob({ orgId: customer, request: { model: ENCODER, input: { text: `capacity ${i}` } } })).id);
  // Leased round-robin, as the lease would leave them (attempt 1, running, unit price unset).
  const nodeIds = workers.map((w) => w.identity.id);
  await sql().$executeRaw`
    UPDATE jobs j SET state = 'running', node_id = (${nodeIds}::uuid[])[1 + (x.n % ${WORKERS})], attempt = j.attempt + 1,
      unit_price = NULL, lease_expires_at = now() + interval '1 hour', started_at = now()
    FROM (SELECT id, (row_number() OVER (ORDER BY created_at))::int AS n FROM jobs WHERE id = ANY(${ids}::uuid[])) x
    WHERE j.id = x.id`;
  const byNode = new Map(workers.map((w) => [w.identity.id, w]));
  const rows = await sql().$queryRaw<{ id: string; node_id: string; attempt: number }[]>`
    SELECT id, node_id, attempt FROM jobs WHERE id = ANY(${ids}::uuid[])`;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: opts.clients }, async () => {
      while (next < rows.length) {
        const r = rows[next++];
        if (!r) break;
        const w = byNode.get(r.node_id);
        if (!w) throw new Error(`no worker ${r.node_id}`);
        const reply = await completeAs(w, { id: r.id, attempt: r.attempt }, encoderOutput(1));
        if (reply.status !== "accepted") throw new Error(`completion of ${r.id}: ${reply.status}`);
      }
    }),
  );
  const perS = rows.length / ((performance.now() - t0) / 1000);
  const audit = await checkLedger(sql());
  if (!audit.ok) throw new Error("completion capacity: the ledger does not balance after the run");
  return { perS };
}
