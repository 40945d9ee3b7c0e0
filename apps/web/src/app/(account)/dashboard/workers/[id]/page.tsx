import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Alert } from "~/components/ui/alert";
import { Badge, jobStateTone, StatusPill } from "~/components/ui/badge";
import { Card } from "~/components/ui/card";
import { EmptyState } from "~/components/ui/empty-state";
import { Stat, StatList } from "~/components/ui/stat";
import { DataTable } from "~/components/ui/data-table";
import { Lede, Muted, PageTitle, SectionTitle } from "~/components/ui/typography";
import { requireDashboard } from "../../../session";
import { DashboardShell } from "../../dashboard-shell";
import { EarningsChart } from "../earnings-chart";
import { capability, STATUS_LABEL, STATUS_TONE, tokens } from "../format";
import { getEnv } from "~/server/env";
import { getPorConfig } from "~/server/services/verification/por-config";
import { CapabilityEvidenceView } from "./capability-evidence";
import { WorkerControls } from "./worker-controls";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Worker · Proofgrid" };

const when = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "never");
const unbondingPeriod = (ms: number) =>
  ms >= 86_400_000
    ? `${Math.round(ms / 86_400_000)} day(s)`
    : ms >= 3_600_000
      ? `${Math.round(ms / 3_600_000)} hour(s)`
      : `${Math.max(1, Math.round(ms / 60_000))} minute(s)`;
const seconds = (ms: number | null) => (ms === null ? "—" : ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms / 1000)} s`);

export default async function WorkerPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const [{ id }, query] = await Promise.all([params, searchParams]);
  const dashboard = await requireDashboard(query.org);
  const { caller } = dashboard;
  // Another organisation's worker is NOT_FOUND, the same as one that does not exist.
  const worker = await caller.workers.get({ id }).catch((err: unknown) => {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) notFound();
    throw err;
  });
  const [diagnostics, earnings, evidence] = await Promise.all([
    caller.workers.diagnostics({ id }).catch(() => null),
    caller.workers.earnings({ range: "day", id }),
    caller.workers.capability({ id }).catch(() => null),
  ]);
  const back = `/dashboard/workers${typeof query.org === "string" ? `?org=${query.org}` : ""}`;
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/workers">
      <p className="mt-5 text-sm">
        <a href={back}>← All workers</a>
      </p>
      <PageTitle className="mt-2 [overflow-wrap:anywhere]">{worker.name}</PageTitle>
      <Lede className="flex flex-wrap items-center gap-x-2 gap-y-1">
        <StatusPill tone={STATUS_TONE[worker.status]} data-status={worker.status}>
          {STATUS_LABEL[worker.status]}
        </StatusPill>
        {worker.pausedAt ? (
          <Badge tone="warning" data-paused>
            Paused
          </Badge>
        ) : null}
        <span aria-hidden="true">·</span>
        <span>{capability(worker)}</span>
        <span aria-hidden="true">·</span>
        <span>{worker.region}</span>
        <span aria-hidden="true">·</span>
        <span>last heard from {when(worker.lastSeenAt)}</span>
      </Lede>
      <StatList aria-label="Worker figures">
        <Stat label="Reputation" value={worker.reputationScore.toFixed(2)} />
        <Stat label="Jobs completed" value={worker.completedJobs} />
        <Stat label="Earned" value={`${tokens(worker.earnings)} tokens`} />
        <Stat label="Stake bonded" value={`${tokens(worker.stake.bonded)} tokens`} />
        <Stat label="Jobs held / limit" value={`${tokens(worker.stake.exposureUsed)} / ${tokens(worker.stake.exposureLimit)}`} data-stake />
      </StatList>
      {worker.stake.sufficient ? null : (
        <Alert tone="warning" title="At its limit">
          It takes no new jobs while the jobs it holds (in flight, and settled with earnings held until their verification window closes)
          reach what its stake and its provider&apos;s starter allowance back. Stake more, or wait for held earnings to be released.
        </Alert>
      )}
      {BigInt(worker.stake.unbonding) > 0n ? <Muted>{tokens(worker.stake.unbonding)} tokens are unbonding.</Muted> : null}

      <SectionTitle id="controls-heading">Stake, price and availability</SectionTitle>
      <WorkerControls
        org={typeof query.org === "string" ? query.org : ""}
        nodeId={worker.id}
        name={worker.name}
        paused={worker.pausedAt !== null}
        askPricePerCu={worker.askPricePerCu}
        listPricePerCu={getEnv().PRICE_PER_CU_BASE_UNITS.toString()}
        bonded={tokens(worker.stake.bonded)}
        required={tokens(worker.stake.required)}
        unbondingDays={unbondingPeriod(getPorConfig().unbondingMs)}
      />

      <SectionTitle id="why-heading">Why it is or is not getting jobs</SectionTitle>
      {diagnostics ? (
        <Card>
          <Muted className="mb-2">
            In the last {Math.round(diagnostics.windowMs / 60_000)} minutes it was chosen for {diagnostics.chosen} job(s) and was the
            runner-up for {diagnostics.runnerUp}.
          </Muted>
          <ul className="grid list-disc gap-1.5 pl-5 text-sm" aria-labelledby="why-heading" data-diagnostics>
            {diagnostics.reasons.map((r) => (
              <li key={r.code} data-reason={r.code}>
                {r.message}
              </li>
            ))}
          </ul>
        </Card>
      ) : (
        <Alert>
          The diagnosis cannot be computed right now. Reload the page in a minute; if it persists, check the server&apos;s logs.
        </Alert>
      )}

      <SectionTitle id="capability-heading">Capability check</SectionTitle>
      {evidence ? <CapabilityEvidenceView evidence={evidence} /> : null}

      <SectionTitle>Earnings, last 24 hours (UTC)</SectionTitle>
      <Card>
        <EarningsChart series={earnings} id="worker-earnings" />
      </Card>

      <SectionTitle id="jobs-heading">Recent jobs</SectionTitle>
      <DataTable
        stacked
        aria-labelledby="jobs-heading"
        rows={worker.recentJobs}
        rowKey={(j) => j.id}
        empty={<EmptyState title="No jobs yet.">Jobs arrive once it is online, staked and chosen by the placement (see above).</EmptyState>}
        columns={[
          { id: "model", header: "Model", cell: (j) => j.model },
          { id: "state", header: "State", cell: (j) => <Badge tone={jobStateTone(j.state)}>{j.state}</Badge> },
          { id: "duration", header: "Duration", cell: (j) => seconds(j.durationMs) },
          { id: "earned", header: "Earned", cell: (j) => `${tokens(j.earned)} tokens` },
          { id: "finished", header: "Finished", cell: (j) => when(j.finishedAt) },
        ]}
      />
    </DashboardShell>
  );
}
