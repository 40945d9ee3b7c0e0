"use client";

import type { currentVerification, listEpochs } from "~/server/services/verification/stats";
import { Alert } from "~/components/ui/alert";
import { EmptyState } from "~/components/ui/empty-state";
import { SkeletonRows } from "~/components/ui/skeleton";
import { Stat, StatList } from "~/components/ui/stat";
import { Muted, SectionTitle } from "~/components/ui/typography";
import { formatInt } from "./format";
import { DataTable } from "~/components/ui/data-table";
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
      <SectionTitle id="verification-heading">Verification per epoch</SectionTitle>
      <Muted>Checkers re-run a sample of jobs (Proof of Render); a mismatch proven as fraud slashes the worker&apos;s stake.</Muted>
      {error ? (
        <Alert tone="warning" role="status" className="mt-2">
          Verification numbers could not be refreshed ({error}). Retrying every 30 s.
        </Alert>
      ) : null}
      {data === null ? (
        <SkeletonRows label="Loading verification statistics…" className="mt-4" />
      ) : (
        <>
          <StatList aria-label="Current epoch">
            <Stat label="Checks this epoch" value={formatInt(data.current.checksDone)} />
            <Stat label="Open checks" value={formatInt(data.current.openChecks)} />
            <Stat label="Fraud this epoch" value={formatInt(data.current.frauds)} />
            <Stat label="Re-execution floor" value={pct(data.current.policy.reexecution.floor)} />
          </StatList>
          {data.epochs.length === 0 ? (
            <EmptyState title="No epoch has closed yet.">Statistics appear here when the first one does.</EmptyState>
          ) : (
            <DataTable
              scrollLabel="Closed epochs, scrollable"
              className="min-w-[36rem]"
              caption="Closed epochs, newest first"
              rows={data.epochs}
              rowKey={(e) => String(e.epoch)}
              columns={[
                {
                  id: "start",
                  header: "Epoch start",
                  rowHeader: true,
                  cell: (e) => `${e.startsAt.slice(0, 10)} ${e.startsAt.slice(11, 16)}`,
                },
                { id: "jobs", header: "Jobs", align: "right", cell: (e) => formatInt(e.customerJobs) },
                { id: "checks", header: "Checks", align: "right", cell: (e) => formatInt(e.checksRun) },
                { id: "passed", header: "Passed", align: "right", cell: (e) => formatInt(e.passes) },
                { id: "fraud", header: "Fraud", align: "right", cell: (e) => formatInt(e.frauds) },
                { id: "slashed", header: "Slashed", align: "right", cell: (e) => formatInt(e.slashes) },
                { id: "recheck-rate", header: "Re-check rate", align: "right", cell: (e) => pct(e.recheckRate) },
              ]}
            />
          )}
        </>
      )}
    </section>
  );
}
