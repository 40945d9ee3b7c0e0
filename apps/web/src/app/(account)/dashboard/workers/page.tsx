import { REGIONS } from "@proofgrid/indexer";
import type { Metadata } from "next";
import styles from "../../account.module.css";
import { requireDashboard } from "../../session";
import { DashboardShell } from "../dashboard-shell";
import { AddWorker } from "./add-worker";
import { EarningsChart } from "./earnings-chart";
import { WorkersTable } from "./workers-table";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Workers · Proofgrid" };

const REGION_OPTIONS = REGIONS.map((r) => ({ id: r.id, name: r.name }));

export default async function WorkersPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const dashboard = await requireDashboard(params.org);
  const { org, caller } = dashboard;
  const orgParam = typeof params.org === "string" ? params.org : undefined;
  const [workers, day, fortnight] = await Promise.all([
    caller.workers.list(),
    caller.workers.earnings({ range: "day" }),
    caller.workers.earnings({ range: "fortnight" }),
  ]);
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/workers">
      <h1 className={styles.title}>Workers</h1>
      <p className={styles.lede}>
        Machines of {org.name} that run inference jobs and earn tokens for them.
        {org.kind === "customer" ? " Adding a worker makes this organisation a provider as well as a customer." : ""}
      </p>
      <h2 className={styles.h2} id="add-worker-heading">
        Add a worker
      </h2>
      <div className={styles.card}>
        <AddWorker org={orgParam} regions={REGION_OPTIONS} />
      </div>
      <h2 className={styles.h2} id="workers-heading">
        Your workers
      </h2>
      <WorkersTable initial={workers} org={orgParam} />
      <h2 className={styles.h2}>Earnings</h2>
      <h3 className={styles.muted} style={{ fontSize: 14, margin: "8px 0 0" }}>
        Per hour, last 24 hours (UTC)
      </h3>
      <EarningsChart series={day} id="earnings-day" />
      <h3 className={styles.muted} style={{ fontSize: 14, margin: "8px 0 0" }}>
        Per day, last 14 days
      </h3>
      <EarningsChart series={fortnight} id="earnings-fortnight" />
    </DashboardShell>
  );
}
