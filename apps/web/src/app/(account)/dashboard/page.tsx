import type { Metadata } from "next";
import { Alert } from "~/components/ui/alert";
import { Stat, StatList } from "~/components/ui/stat";
import { Lede, Muted, PageTitle, Pre, SectionTitle } from "~/components/ui/typography";
import { getEnv } from "~/server/env";
import { formatTokens } from "~/server/services/billing/get-balance";
import { requireDashboard } from "../session";
import { DashboardShell } from "./dashboard-shell";
import { DashboardTRPCProvider } from "./trpc-provider";
import { UsageOverview } from "./usage-overview";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Dashboard · Proofgrid" };

const KIND_LABEL = { customer: "Customer", provider: "Provider", both: "Customer and provider" } as const;

type Dashboard = Awaited<ReturnType<typeof requireDashboard>>;
type Balance = Awaited<ReturnType<Dashboard["caller"]["billing"]["balance"]>>;
type Usage = Awaited<ReturnType<Dashboard["caller"]["usage"]["overview"]>>;

/**
 * Where a new customer's first credits come from. Without PROOFGRID_URL this is a
 * single-machine install (`npm start`): whoever reads this runs the platform, and the
 * command that grants credits is theirs to run. A public deployment has a platform team.
 */
function NoCredits({ slug }: { slug: string }) {
  if (getEnv().PROOFGRID_URL) {
    return <Muted>No credits yet: jobs need credits before they run. Ask the platform team to grant some.</Muted>;
  }
  return (
    <div className="grid gap-2" data-testid="no-credits">
      <Muted className="mb-0">
        No credits yet: jobs need credits before they run. On your own installation (<code>npm start</code>) you are the platform team:
        grant this organisation some from the checkout, in another terminal, then reload this page.
      </Muted>
      <Pre className="border-ink bg-ink px-3 py-2 text-line" data-testid="grant-command">
        {`npm run admin -- grant --org ${slug} --tokens 100 --key first-credits`}
      </Pre>
    </div>
  );
}

/** A customer's overview: balance, usage charts and where to start. */
function CustomerOverview({ dashboard, balance, usage }: { dashboard: Dashboard; balance: Balance | null; usage: Usage | null }) {
  const { org } = dashboard;
  return (
    <>
      <SectionTitle>Balance</SectionTitle>
      {balance ? (
        <StatList aria-label="Balance">
          <Stat label="Available" value={`${formatTokens(balance.available)} tokens`} data-stat="available" />
          <Stat label="Held for jobs in flight" value={`${formatTokens(balance.held)} tokens`} />
          {org.kind !== "customer" ? <Stat label="Provider earnings" value={`${formatTokens(balance.earnings)} tokens`} /> : null}
        </StatList>
      ) : (
        <Alert>The balance cannot be read right now. Reload the page in a minute; if it persists, check the server&apos;s logs.</Alert>
      )}
      {balance && BigInt(balance.available) === 0n ? <NoCredits slug={org.slug} /> : null}
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
    </>
  );
}

/**
 * A provider-only organisation runs workers and earns; it buys no inference, so it sees its
 * workers and earnings here, not a customer's credits and playground. (The workers page is
 * the provider portal proper.)
 */
async function ProviderOverview({ dashboard, balance }: { dashboard: Dashboard; balance: Balance | null }) {
  const workers = await dashboard.caller.workers.list().catch(() => null);
  const online = workers?.filter((w) => w.status === "online").length ?? 0;
  return (
    <>
      <SectionTitle>Your workers</SectionTitle>
      {workers ? (
        <StatList aria-label="Workers">
          <Stat label="Workers online" value={`${online} of ${workers.length}`} data-stat="workers-online" />
          <Stat label="Jobs served" value={workers.reduce((s, w) => s + w.jobsServed, 0).toLocaleString("en")} />
          <Stat label="Earnings" value={balance ? `${formatTokens(balance.earnings)} tokens` : "—"} data-stat="earnings" />
        </StatList>
      ) : (
        <Alert>Your workers cannot be read right now. Reload the page in a minute.</Alert>
      )}
      {workers && workers.length === 0 ? (
        <Muted data-testid="no-workers">
          No workers yet. <a href="/dashboard/workers">Add a worker</a>: the page gives you a one-time token and the commands to run on your
          machine.
        </Muted>
      ) : null}
      <SectionTitle>Next steps</SectionTitle>
      <ul className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
        <li>
          <a href="/dashboard/workers">{workers && workers.length > 0 ? "Workers, stake and earnings" : "Add a worker"}</a>
        </li>
        <li>
          <a href="/dashboard/members">Invite your team</a>
        </li>
        <li>
          <a href="/explorer">See the network live</a>
        </li>
      </ul>
    </>
  );
}

export default async function DashboardPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const dashboard = await requireDashboard((await searchParams).org);
  const { org, caller } = dashboard;
  const provider = org.kind === "provider";
  const [balance, usage] = await Promise.all([
    caller.billing.balance().catch(() => null),
    // The client component retries on its own: a failed first read is not a failed page.
    provider ? null : caller.usage.overview({ window: "24h" }).catch(() => null),
  ]);
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard">
      <PageTitle>{org.name}</PageTitle>
      <Lede>
        {KIND_LABEL[org.kind]} organisation · you are its {org.role}
      </Lede>
      {provider ? (
        <ProviderOverview dashboard={dashboard} balance={balance} />
      ) : (
        <CustomerOverview dashboard={dashboard} balance={balance} usage={usage} />
      )}
    </DashboardShell>
  );
}
