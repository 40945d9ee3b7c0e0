import { randomUUID } from "node:crypto";
import type { Metadata } from "next";
import { Badge } from "~/components/ui/badge";
import { Card } from "~/components/ui/card";
import { DataTable } from "~/components/ui/data-table";
import { EmptyState } from "~/components/ui/empty-state";
import { Stat, StatList } from "~/components/ui/stat";
import { Lede, Muted, PageTitle, SectionTitle } from "~/components/ui/typography";
import { formatTokens } from "~/server/services/billing/tokens";
import { requireDashboard } from "../../session";
import { DashboardShell } from "../dashboard-shell";
import { ClaimEarlyForm, ClaimVestedForm } from "./reward-forms";
import { RewardsChart } from "./rewards-chart";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Rewards · Proofgrid" };

const when = (d: Date | string) => `${new Date(d).toISOString().slice(0, 16).replace("T", " ")} UTC`;
const ROLE = { worker: "Worker", checker: "Checker", platform: "Platform" } as const;

/** A provider's epoch rewards: what vested, what is still vesting, what was claimed; claim now or early with the haircut. */
export default async function RewardsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const dashboard = await requireDashboard((await searchParams).org);
  const { org, caller } = dashboard;
  const r = await caller.rewards.overview({ limit: 20 });
  const owner = org.role === "owner";
  const asOf = new Date(r.asOf).toISOString();
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/rewards">
      <PageTitle>Rewards</PageTitle>
      <Lede>
        Each epoch&apos;s emission is shared between the workers that delivered verified compute (and stayed up), the checkers that checked
        them, and the platform. Rewards of {org.name} vest linearly over {r.vestingDays} days; claim them into your earnings as they vest,
        or all at once with a {r.haircutBps / 100} % haircut on what has not vested yet.
      </Lede>
      <StatList aria-label="Rewards">
        <Stat label="Vested, unclaimed" value={`${formatTokens(r.claimable)} tokens`} data-stat="vested" />
        <Stat
          label="Still vesting"
          value={`${formatTokens(r.unvested)} tokens`}
          note={r.fullyVestedAt ? `all vested by ${when(r.fullyVestedAt).slice(0, 10)}` : undefined}
          data-stat="unvested"
        />
        <Stat
          label="Claimed"
          value={`${formatTokens(r.claimed)} tokens`}
          note={BigInt(r.forfeited) > 0n ? `${formatTokens(r.forfeited)} given up early` : undefined}
          data-stat="claimed"
        />
      </StatList>

      {r.series.length > 0 ? <RewardsChart series={r.series} asOf={asOf} /> : null}

      <SectionTitle>Claim</SectionTitle>
      <Card>
        {BigInt(r.granted) === 0n ? (
          <Muted>No rewards yet: they are granted when an epoch in which your workers or checkers did verified work closes.</Muted>
        ) : !owner ? (
          <Muted>Only the organisation&apos;s owners claim rewards.</Muted>
        ) : (
          <div className="grid gap-6">
            <ClaimVestedForm orgId={org.orgId} claimable={r.claimable} idempotencyKey={randomUUID()} />
            <ClaimEarlyForm
              orgId={org.orgId}
              paid={r.earlyClaim.paid}
              haircut={r.earlyClaim.haircut}
              haircutBps={r.haircutBps}
              idempotencyKey={randomUUID()}
            />
          </div>
        )}
        <Muted className="mt-3">
          Claimed rewards join your earnings: withdraw them on the Payouts page, or stake them to your workers.
        </Muted>
      </Card>

      <SectionTitle id="grants-heading">Recent grants</SectionTitle>
      <DataTable
        stacked
        aria-labelledby="grants-heading"
        rows={r.grants}
        rowKey={(g) => g.id}
        rowProps={(g) => ({ "data-grant": g.id })}
        empty={<EmptyState title="No grants yet.">Each closed epoch in which you did verified work adds a grant here.</EmptyState>}
        columns={[
          { id: "epoch", header: "Epoch", cell: (g) => g.epoch },
          { id: "role", header: "Role", cell: (g) => <Badge tone="info">{ROLE[g.role]}</Badge> },
          { id: "granted", header: "Granted", cell: (g) => formatTokens(g.amount) },
          { id: "vested", header: "Vested", cell: (g) => formatTokens(g.vested) },
          {
            id: "claimed",
            header: "Claimed",
            cell: (g) => (
              <>
                {formatTokens(g.released)}
                {BigInt(g.forfeited) > 0n ? <span className="block text-xs text-muted">{formatTokens(g.forfeited)} given up</span> : null}
              </>
            ),
          },
          { id: "vests-until", header: "Vests until", className: "sm:whitespace-nowrap", cell: (g) => when(g.vestEnd) },
        ]}
      />

      <SectionTitle id="claims-heading">Claims</SectionTitle>
      <DataTable
        stacked
        aria-labelledby="claims-heading"
        rows={r.claims}
        rowKey={(c) => c.id}
        rowProps={(c) => ({ "data-claim": c.id, "data-kind": c.kind })}
        empty={<EmptyState title="No claims yet.">Each claim appears here with what it paid.</EmptyState>}
        columns={[
          { id: "when", header: "When", className: "sm:whitespace-nowrap", cell: (c) => when(c.createdAt) },
          {
            id: "kind",
            header: "Kind",
            cell: (c) => (c.kind === "early" ? <Badge tone="warning">Early</Badge> : <Badge tone="success">Vested</Badge>),
          },
          { id: "paid", header: "Paid", cell: (c) => formatTokens(c.paid) },
          { id: "haircut", header: "Haircut", cell: (c) => (BigInt(c.haircut) > 0n ? formatTokens(c.haircut) : "—") },
        ]}
      />
    </DashboardShell>
  );
}
