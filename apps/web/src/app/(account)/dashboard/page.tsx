import type { Metadata } from "next";
import { formatTokens } from "~/server/services/billing/get-balance";
import styles from "../account.module.css";
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
      <h1 className={styles.title}>{org.name}</h1>
      <p className={styles.lede}>
        {KIND_LABEL[org.kind]} organisation · you are its {org.role}
      </p>
      <h2 className={styles.h2}>Balance</h2>
      {balance ? (
        <ul className={styles.stats} aria-label="Balance">
          <li className={styles.stat}>
            <div className={styles.statLabel}>Available</div>
            <div className={styles.statValue} data-stat="available">
              {formatTokens(balance.available)} tokens
            </div>
          </li>
          <li className={styles.stat}>
            <div className={styles.statLabel}>Held for jobs in flight</div>
            <div className={styles.statValue}>{formatTokens(balance.held)} tokens</div>
          </li>
          {org.kind !== "customer" ? (
            <li className={styles.stat}>
              <div className={styles.statLabel}>Provider earnings</div>
              <div className={styles.statValue}>{formatTokens(balance.earnings)} tokens</div>
            </li>
          ) : null}
        </ul>
      ) : (
        <p role="alert" className={styles.alert}>
          The balance cannot be read right now. Reload the page in a minute; if it persists, check the server's logs.
        </p>
      )}
      {balance && BigInt(balance.available) === 0n ? (
        <p className={styles.muted}>No credits yet: jobs need credits before they run. Ask the platform team to grant some.</p>
      ) : null}
      {/* Keyed: switching organisation must not keep the other one's client or cached figures. */}
      <DashboardTRPCProvider key={org.orgId} orgId={org.orgId}>
        <UsageOverview initial={usage} initialAt={Date.now()} orgId={org.orgId} />
      </DashboardTRPCProvider>
      <h2 className={styles.h2}>Next steps</h2>
      <ul className={styles.links}>
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
