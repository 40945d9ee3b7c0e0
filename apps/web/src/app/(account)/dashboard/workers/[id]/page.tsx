import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import styles from "../../../account.module.css";
import { requireDashboard } from "../../../session";
import { DashboardShell } from "../../dashboard-shell";
import { EarningsChart } from "../earnings-chart";
import own from "../workers.module.css";
import { capability, STATUS_LABEL, tokens } from "../format";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Worker · Proofgrid" };

const when = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "never");
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
  const [diagnostics, earnings] = await Promise.all([
    caller.workers.diagnostics({ id }).catch(() => null),
    caller.workers.earnings({ range: "day", id }),
  ]);
  const back = `/dashboard/workers${typeof query.org === "string" ? `?org=${query.org}` : ""}`;
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/workers">
      <p style={{ margin: "16px 0 0" }}>
        <a href={back}>← All workers</a>
      </p>
      <h1 className={styles.title}>{worker.name}</h1>
      <p className={styles.lede}>
        <span className={own[worker.status]} data-status={worker.status}>
          {STATUS_LABEL[worker.status]}
        </span>{" "}
        · {capability(worker)} · {worker.region} · last heard from {when(worker.lastSeenAt)}
      </p>
      <ul className={styles.stats} aria-label="Worker figures">
        <li className={styles.stat}>
          <div className={styles.statLabel}>Reputation</div>
          <div className={styles.statValue}>{worker.reputationScore.toFixed(2)}</div>
        </li>
        <li className={styles.stat}>
          <div className={styles.statLabel}>Jobs completed</div>
          <div className={styles.statValue}>{worker.completedJobs}</div>
        </li>
        <li className={styles.stat}>
          <div className={styles.statLabel}>Earned</div>
          <div className={styles.statValue}>{tokens(worker.earnings)} tokens</div>
        </li>
        <li className={styles.stat}>
          <div className={styles.statLabel}>Stake bonded / required</div>
          <div className={styles.statValue} data-stake>
            {tokens(worker.stake.bonded)} / {tokens(worker.stake.required)}
          </div>
        </li>
      </ul>
      {worker.stake.sufficient ? null : (
        <p className={styles.alert}>
          Its bonded stake is below the minimum its capability requires: it gets no jobs until{" "}
          {tokens((BigInt(worker.stake.required) - BigInt(worker.stake.bonded)).toString())} more tokens are bonded.
        </p>
      )}
      {BigInt(worker.stake.unbonding) > 0n ? <p className={styles.muted}>{tokens(worker.stake.unbonding)} tokens are unbonding.</p> : null}

      <h2 className={styles.h2} id="why-heading">
        Why it is or is not getting jobs
      </h2>
      {diagnostics ? (
        <>
          <p className={styles.muted}>
            In the last {Math.round(diagnostics.windowMs / 60_000)} minutes it was chosen for {diagnostics.chosen} job(s) and was the
            runner-up for {diagnostics.runnerUp}.
          </p>
          <ul className={own.reasons} aria-labelledby="why-heading" data-diagnostics>
            {diagnostics.reasons.map((r) => (
              <li key={r.code} data-reason={r.code}>
                {r.message}
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p role="alert" className={styles.alert}>
          The diagnosis cannot be computed right now. Reload the page in a minute; if it persists, check the server&apos;s logs.
        </p>
      )}

      <h2 className={styles.h2}>Earnings, last 24 hours (UTC)</h2>
      <EarningsChart series={earnings} id="worker-earnings" />

      <h2 className={styles.h2} id="jobs-heading">
        Recent jobs
      </h2>
      {worker.recentJobs.length === 0 ? (
        <p className={styles.muted}>No jobs yet. Jobs arrive once it is online, staked and chosen by the placement (see above).</p>
      ) : (
        <div className={styles.tableWrap}>
          <table className={styles.table} aria-labelledby="jobs-heading">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">State</th>
                <th scope="col">Duration</th>
                <th scope="col">Earned</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {worker.recentJobs.map((j) => (
                <tr key={j.id}>
                  <td data-label="Model">{j.model}</td>
                  <td data-label="State">{j.state}</td>
                  <td data-label="Duration">{seconds(j.durationMs)}</td>
                  <td data-label="Earned">{tokens(j.earned)} tokens</td>
                  <td data-label="Finished">{when(j.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </DashboardShell>
  );
}
