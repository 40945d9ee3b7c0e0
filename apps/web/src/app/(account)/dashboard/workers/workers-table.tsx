"use client";

import { useEffect, useState } from "react";
import type { WorkerRow } from "~/server/services/providers/list-workers";
import { Alert } from "~/components/ui/alert";
import { StatusPill } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { DataTable } from "~/components/ui/data-table";
import { EmptyState } from "~/components/ui/empty-state";
import { listWorkersAction } from "./actions";
import { capability, STATUS_LABEL, STATUS_TONE, tokens } from "./format";

/** Online/offline changes within a heartbeat or two; every 4 s is live enough and cheap. */
const POLL_MS = 4_000;

export function WorkersTable({ initial, org }: { initial: WorkerRow[]; org: string | undefined }) {
  const [workers, setWorkers] = useState(initial);
  const [stale, setStale] = useState(false);
  useEffect(() => {
    let stopped = false;
    const timer = setInterval(async () => {
      try {
        const next = await listWorkersAction(org);
        if (!stopped) {
          setWorkers(next);
          setStale(false);
        }
      } catch {
        if (!stopped) setStale(true);
      }
    }, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [org]);

  const href = (id: string) => `/dashboard/workers/${id}${org ? `?org=${org}` : ""}`;
  return (
    <div>
      <div aria-live="polite">
        {stale ? (
          <Alert tone="warning" className="mb-3">
            Cannot refresh right now: the figures below may be out of date. Retrying every few seconds.
          </Alert>
        ) : null}
      </div>
      <DataTable
        stacked
        aria-labelledby="workers-heading"
        rows={workers}
        rowKey={(w) => w.id}
        rowProps={(w) => ({ "data-worker-id": w.id })}
        empty={
          <EmptyState
            data-empty-workers
            title="No workers yet."
            action={
              <Button asChild>
                <a href="#add-worker-heading">Add a worker</a>
              </Button>
            }
          >
            Add one above: run the two commands on a machine with Node.js, and it shows here, online, within seconds.
          </EmptyState>
        }
        columns={[
          { id: "name", header: "Name", className: "font-medium", cell: (w) => <a href={href(w.id)}>{w.name}</a> },
          {
            id: "status",
            header: "Status",
            cell: (w) => (
              <StatusPill tone={STATUS_TONE[w.status]} data-status={w.status}>
                {STATUS_LABEL[w.status]}
              </StatusPill>
            ),
          },
          { id: "capability", header: "Capability", cellProps: () => ({ "data-capability": true }), cell: (w) => capability(w) },
          { id: "region", header: "Region", cell: (w) => w.region },
          { id: "reputation", header: "Reputation", cell: (w) => w.reputationScore.toFixed(2) },
          { id: "jobs-served", header: "Jobs served", cell: (w) => w.jobsServed },
          { id: "earnings", header: "Earnings", cell: (w) => `${tokens(w.earnings)} tokens` },
          {
            id: "stake",
            header: "Stake · jobs held / limit",
            // The phone card's label column is 6.5rem wide: the header's full wording does not fit it.
            label: "Stake",
            cell: (w) => (
              <span className={w.stake.sufficient ? undefined : "font-medium text-warning-ink"}>
                {tokens(w.stake.bonded)} · {tokens(w.stake.exposureUsed)} / {tokens(w.stake.exposureLimit)} tokens
                {w.stake.sufficient ? "" : " (at its limit: no new jobs)"}
              </span>
            ),
          },
        ]}
      />
    </div>
  );
}
