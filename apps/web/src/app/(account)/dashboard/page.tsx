import type { Metadata } from "next";
import { Alert } from "~/components/ui/alert";
import { Stat, StatList } from "~/components/ui/stat";
import { Lede, Muted, PageTitle, SectionTitle } from "~/components/ui/typography";
import { formatTokens } from "~/server/services/billing/get-balance";
import { requireDashboard } from "../session";
import { DashboardShell } from "./dashboard-shell";
import { DashboardTRPCProvider } from "./trpc-provider";
import { UsageOverview } from "./usage-overview";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Dashboard · Proofgrid" };

const KIND_LABEL = { customer: "Customer", provider: "Provider", both: "Customer and provider" } as const;

export default async function DashboardPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const dashboard = await requireDashboard((await searchParams).org);
  const { org, caller } = dashboard;
  const [balance, usage] = await Promise.all([
    caller.billing.balance().catch(() => null),
    // The client component retries on its own: a failed first read is not a failed page.
    caller.usage.overview({ window: "24h" }).catch(() => null),
  ]);
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard">
      <PageTitle>{org.name}</PageTitle>
      <Lede>
        {KIND_LABEL[org.kind]} organisation · you are its {org.role}
      </Lede>
      <SectionTitle>Balance</SectionTitle>
      {balance ? (
        <StatList aria-label="Balance">
          <Stat label="Available" value={`${formatTokens(balance.available)} tokens`} data-stat="available" />
          <Stat label="Held for jobs in flight" value={`${formatTokens(balance.held)} tokens`} />
          {org.kind !== "customer" ? <Stat label="Provider earnings" value={`${formatTokens(balance.earnings)} tokens`} /> : null}
        </StatList>
      ) : (
        <Alert>The balance cannot be read right now. Reload the page in a minute; if it persists, check the server's logs.</Alert>
      )}
      {balance && BigInt(balance.available) === 0n ? (
        <Muted>No credits yet: jobs need credits before they run. Ask the platform team to grant some.</Muted>
      ) : null}
      {/* Keyed: switching organisation must not keep the other one's client or cached figures. */}
      <DashboardTRPCProvider key={org.orgId} orgId={org.orgId}>
        <UsageOverview initial={usage} initialAt={Date.now()} orgId={org.orgId} />
      </DashboardTRPCProvider>
      <SectionTitle>Next steps</SectionTitle>
      <ul className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
        <li>
          <a href="/dashboard/keys">Create an API key</a>
        </li>
        <li>
          <a href="/dashboard/jobs">See every job</a>
        </li>
        <li>
          <a href="/api/v1/models">Models (API)</a>
        </li>
        <li>
          <a href="/explorer">See the network live</a>
        </li>
      </ul>
    </DashboardShell>
  );
}
