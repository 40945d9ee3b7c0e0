"use client";

import type { currentVerification, listEpochs } from "~/server/services/verification/stats";
import styles from "./explorer.module.css";
import { formatInt } from "./format";
import { usePoll } from "./use-poll";

export interface EpochsResponse {
  current: Awaited<ReturnType<typeof currentVerification>>;
  epochs: Awaited<ReturnType<typeof listEpochs>>;
}

/** Epochs close every few minutes at most; 30 s is fresh enough and keeps the query rare. */
const EPOCH_POLL_MS = 30_000;
export const EPOCHS_SHOWN = 12;

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

/** Verification (Proof of Render) per epoch, from the public epochs endpoint. */
export function EpochStats({ initial }: { initial: EpochsResponse | null }) {
  const { data, error } = usePoll<EpochsResponse>(`/api/v1/verification/epochs?limit=${EPOCHS_SHOWN}`, EPOCH_POLL_MS, initial);
  return (
    <section aria-labelledby="verification-heading">
      <h2 id="verification-heading" className={styles.h2}>
        Verification per epoch
      </h2>
      <p className={styles.muted}>
        Checkers re-run a sample of jobs (Proof of Render); a mismatch proven as fraud slashes the worker&apos;s stake.
      </p>
      {error ? <output className={styles.error}>Verification numbers could not be refreshed ({error}). Retrying every 30 s.</output> : null}
      {data === null ? (
        <p className={styles.muted} aria-busy="true">
          Loading verification statistics…
        </p>
      ) : (
        <>
          <ul className={styles.stats} aria-label="Current epoch">
            <li className={styles.stat}>
              <div className={styles.statLabel}>Checks this epoch</div>
              <div className={styles.statValue}>{formatInt(data.current.checksDone)}</div>
            </li>
            <li className={styles.stat}>
              <div className={styles.statLabel}>Open checks</div>
              <div className={styles.statValue}>{formatInt(data.current.openChecks)}</div>
            </li>
            <li className={styles.stat}>
              <div className={styles.statLabel}>Fraud this epoch</div>
              <div className={styles.statValue}>{formatInt(data.current.frauds)}</div>
            </li>
            <li className={styles.stat}>
              <div className={styles.statLabel}>Re-execution floor</div>
              <div className={styles.statValue}>{pct(data.current.policy.reexecution.floor)}</div>
            </li>
          </ul>
          {data.epochs.length === 0 ? (
            <p className={styles.muted}>No epoch has closed yet: statistics appear here when the first one does.</p>
          ) : (
            // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (axe scrollable-region-focusable)
            <section className={styles.scroll} aria-label="Closed epochs, scrollable" tabIndex={0}>
              <table className={styles.table}>
                <caption className={styles.srOnly}>Closed epochs, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Epoch start</th>
                    <th scope="col" className={styles.num}>
                      Jobs
                    </th>
                    <th scope="col" className={styles.num}>
                      Checks
                    </th>
                    <th scope="col" className={styles.num}>
                      Passed
                    </th>
                    <th scope="col" className={styles.num}>
                      Fraud
                    </th>
                    <th scope="col" className={styles.num}>
                      Slashed
                    </th>
                    <th scope="col" className={styles.num}>
                      Re-check rate
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.epochs.map((e) => (
                    <tr key={e.epoch}>
                      <th scope="row">{`${e.startsAt.slice(0, 10)} ${e.startsAt.slice(11, 16)}`}</th>
                      <td className={styles.num}>{formatInt(e.customerJobs)}</td>
                      <td className={styles.num}>{formatInt(e.checksRun)}</td>
                      <td className={styles.num}>{formatInt(e.passes)}</td>
                      <td className={styles.num}>{formatInt(e.frauds)}</td>
                      <td className={styles.num}>{formatInt(e.slashes)}</td>
                      <td className={styles.num}>{pct(e.recheckRate)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
        </>
      )}
    </section>
  );
}
