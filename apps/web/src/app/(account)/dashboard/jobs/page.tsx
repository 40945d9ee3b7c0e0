import { MODEL_SLUGS } from "@proofgrid/models/model-schemas";
import type { Metadata } from "next";
import { Suspense } from "react";
import { formatTokens } from "~/server/services/billing/get-balance";
import styles from "../../account.module.css";
import { requireDashboard } from "../../session";
import { DashboardShell } from "../dashboard-shell";
import { duration, JOB_STATES, TERMINAL, VERIFICATION_LABEL, when } from "./job-format";
import { LiveRefresh } from "./live-refresh";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Jobs · Proofgrid" };

const PAGE_SIZE = 25;
const UUID = /^[0-9a-f-]{36}$/i;

type Params = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (typeof v === "string" && v !== "" ? v : undefined);

export default async function JobsPage({ searchParams }: { searchParams: Promise<Params> }) {
  const params = await searchParams;
  const dashboard = await requireDashboard(params.org);
  const { org, caller } = dashboard;
  const state = JOB_STATES.find((s) => s === one(params.state));
  const model = MODEL_SLUGS.find((m) => m === one(params.model));
  const cursorParam = one(params.cursor);
  const cursor = cursorParam && UUID.test(cursorParam) ? cursorParam : undefined;
  const query = (extra: Record<string, string | undefined>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ org: one(params.org), state, model, ...extra })) if (v) q.set(k, v);
    const s = q.toString();
    return s ? `/dashboard/jobs?${s}` : "/dashboard/jobs";
  };
  const filtered = state !== undefined || model !== undefined;
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/jobs">
      <h1 className={styles.title}>Jobs</h1>
      <p className={styles.lede}>Jobs of {org.name}, newest first. Open one for its output, placement and receipt.</p>
      <form method="get" action="/dashboard/jobs" className={styles.inline} aria-label="Filter jobs">
        {one(params.org) ? <input type="hidden" name="org" value={one(params.org)} /> : null}
        <label htmlFor="filter-state" className={styles.label}>
          State
        </label>
        <select id="filter-state" name="state" className={styles.select} style={{ width: "auto" }} defaultValue={state ?? ""}>
          <option value="">Any</option>
          {JOB_STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <label htmlFor="filter-model" className={styles.label}>
          Model
        </label>
        <select id="filter-model" name="model" className={styles.select} style={{ width: "auto" }} defaultValue={model ?? ""}>
          <option value="">Any</option>
          {MODEL_SLUGS.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
        <button type="submit" className={styles.buttonSecondary}>
          Apply
        </button>
        {filtered ? <a href={query({ state: "", model: "" })}>Clear filters</a> : null}
      </form>
      <h2 className={styles.h2} id="jobs-heading">
        {cursor ? "Older jobs" : "Recent jobs"}
      </h2>
      <Suspense key={query({ cursor })} fallback={<JobsSkeleton />}>
        <JobsTable caller={caller} state={state} model={model} cursor={cursor} org={one(params.org)} query={query} />
      </Suspense>
    </DashboardShell>
  );
}

type Caller = Awaited<ReturnType<typeof requireDashboard>>["caller"];

function JobsSkeleton() {
  return (
    <div aria-busy="true">
      <output className={styles.muted}>Loading jobs…</output>
      {[90, 80, 70].map((w) => (
        <span key={w} className={styles.skeleton} style={{ width: `${w}%` }} />
      ))}
    </div>
  );
}

async function JobsTable(props: {
  caller: Caller;
  state: (typeof JOB_STATES)[number] | undefined;
  model: string | undefined;
  cursor: string | undefined;
  org: string | undefined;
  query: (extra: Record<string, string | undefined>) => string;
}) {
  const { caller, state, model, cursor, query } = props;
  const { jobs, nextCursor } = await caller.jobs.list({ state, model, cursor, limit: PAGE_SIZE });
  const filtered = state !== undefined || model !== undefined;
  return (
    <>
      <LiveRefresh active={jobs.some((j) => !TERMINAL.has(j.state))} />
      {jobs.length === 0 ? (
        <p className={styles.muted}>
          {filtered || cursor ? "No jobs match these filters." : "No jobs yet. "}
          {filtered || cursor ? null : <a href="/dashboard/playground">Try a model in the playground</a>}
          {filtered || cursor ? null : " or submit one with an API key."}
        </p>
      ) : (
        <div className={styles.tableWrap}>
          <table className={styles.table} aria-labelledby="jobs-heading">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Model</th>
                <th scope="col">State</th>
                <th scope="col">Cost</th>
                <th scope="col">Worker region</th>
                <th scope="col">Verification</th>
                <th scope="col">Created</th>
                <th scope="col">Duration</th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((j) => (
                <tr key={j.id} data-job-id={j.id}>
                  <td data-label="Job" className={styles.mono}>
                    <a href={`/dashboard/jobs/${j.id}${props.org ? `?org=${props.org}` : ""}`} aria-label={`Job ${j.id.slice(0, 8)}`}>
                      {j.id.slice(0, 8)}
                    </a>
                  </td>
                  <td data-label="Model">{j.model}</td>
                  <td data-label="State">
                    <span className={styles.badge}>{j.state}</span>
                  </td>
                  <td data-label="Cost" className={styles.mono}>
                    {formatTokens(j.price)} tokens
                  </td>
                  <td data-label="Worker region">{j.workerRegion ?? "—"}</td>
                  <td data-label="Verification">{VERIFICATION_LABEL[j.verification] ?? j.verification}</td>
                  <td data-label="Created">{when(j.createdAt)}</td>
                  <td data-label="Duration">{duration(j)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav aria-label="Pages" className={styles.inline} style={{ marginTop: 12 }}>
        {cursor ? <a href={query({})}>Newest jobs</a> : null}
        {nextCursor ? <a href={query({ cursor: nextCursor })}>Older jobs →</a> : null}
      </nav>
    </>
  );
}
