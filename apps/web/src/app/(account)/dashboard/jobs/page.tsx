import { MODEL_SLUGS } from "@proofgrid/models/model-schemas";
import type { Metadata } from "next";
import { Suspense } from "react";
import { formatTokens } from "~/server/services/billing/get-balance";
import { Badge, jobStateTone } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { DataTable } from "~/components/ui/data-table";
import { EmptyState } from "~/components/ui/empty-state";
import { Label, Select } from "~/components/ui/field";
import { SkeletonRows } from "~/components/ui/skeleton";
import { Lede, PageTitle, SectionTitle } from "~/components/ui/typography";
import { requireDashboard } from "../../session";
import { DashboardShell } from "../dashboard-shell";
import { duration, JOB_STATES, TERMINAL, verificationLabel, when } from "./job-format";
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
      <PageTitle>Jobs</PageTitle>
      <Lede>Jobs of {org.name}, newest first. Open one for its output, placement and receipt.</Lede>
      <form
        method="get"
        action="/dashboard/jobs"
        className="flex flex-wrap items-end gap-3 rounded-lg border border-line bg-white p-3"
        aria-label="Filter jobs"
      >
        {one(params.org) ? <input type="hidden" name="org" value={one(params.org)} /> : null}
        <div className="grid min-w-36 flex-1 gap-1 sm:flex-none">
          <Label htmlFor="filter-state">State</Label>
          <Select id="filter-state" name="state" defaultValue={state ?? ""}>
            <option value="">Any</option>
            {JOB_STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </Select>
        </div>
        <div className="grid min-w-48 flex-1 gap-1 sm:flex-none">
          <Label htmlFor="filter-model">Model</Label>
          <Select id="filter-model" name="model" defaultValue={model ?? ""}>
            <option value="">Any</option>
            {MODEL_SLUGS.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </Select>
        </div>
        <Button type="submit" variant="secondary">
          Apply
        </Button>
        {filtered ? (
          <a href={query({ state: "", model: "" })} className="py-2 text-sm">
            Clear filters
          </a>
        ) : null}
      </form>
      <SectionTitle id="jobs-heading">{cursor ? "Older jobs" : "Recent jobs"}</SectionTitle>
      <Suspense key={query({ cursor })} fallback={<JobsSkeleton />}>
        <JobsTable caller={caller} state={state} model={model} cursor={cursor} org={one(params.org)} query={query} />
      </Suspense>
    </DashboardShell>
  );
}

type Caller = Awaited<ReturnType<typeof requireDashboard>>["caller"];

function JobsSkeleton() {
  return <SkeletonRows label="Loading jobs…" rows={4} />;
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
        filtered || cursor ? (
          <EmptyState title="No jobs match these filters.">Change the state or the model above, or clear the filters.</EmptyState>
        ) : (
          <EmptyState
            title="No jobs yet."
            action={
              <>
                <Button asChild>
                  <a href="/dashboard/playground">Try a model in the playground</a>
                </Button>
                <span className="text-muted">or submit one with an API key.</span>
              </>
            }
          />
        )
      ) : (
        <DataTable
          stacked
          aria-labelledby="jobs-heading"
          rows={jobs}
          rowKey={(j) => j.id}
          rowProps={(j) => ({ "data-job-id": j.id })}
          columns={[
            {
              id: "job",
              header: "Job",
              className: "font-mono text-[13px]",
              cell: (j) => (
                <a href={`/dashboard/jobs/${j.id}${props.org ? `?org=${props.org}` : ""}`} aria-label={`Job ${j.id.slice(0, 8)}`}>
                  {j.id.slice(0, 8)}
                </a>
              ),
            },
            { id: "model", header: "Model", cell: (j) => j.model },
            { id: "state", header: "State", cell: (j) => <Badge tone={jobStateTone(j.state)}>{j.state}</Badge> },
            { id: "cost", header: "Cost", className: "font-mono text-[13px]", cell: (j) => `${formatTokens(j.price)} tokens` },
            { id: "worker-region", header: "Worker region", cell: (j) => j.workerRegion ?? "—" },
            { id: "verification", header: "Verification", cell: (j) => verificationLabel(j.verification) },
            { id: "created", header: "Created", cell: (j) => when(j.createdAt) },
            { id: "duration", header: "Duration", cell: (j) => duration(j) },
          ]}
        />
      )}
      <nav aria-label="Pages" className="mt-3 flex flex-wrap gap-4 text-sm">
        {cursor ? <a href={query({})}>Newest jobs</a> : null}
        {nextCursor ? <a href={query({ cursor: nextCursor })}>Older jobs →</a> : null}
      </nav>
    </>
  );
}
