"use client";

import { useEffect, useState } from "react";
import type { WorkerRow } from "~/server/services/providers/list-workers";
import { Alert } from "~/components/ui/alert";
import { StatusPill } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { EmptyState } from "~/components/ui/empty-state";
import { Table } from "~/components/ui/table";
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
      {workers.length === 0 ? (
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
      ) : (
        <Table stacked aria-labelledby="workers-heading">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Capability</th>
              <th scope="col">Region</th>
              <th scope="col">Reputation</th>
              <th scope="col">Jobs served</th>
              <th scope="col">Earnings</th>
              <th scope="col">Stake · jobs held / limit</th>
            </tr>
          </thead>
          <tbody>
            {workers.map((w) => (
              <tr key={w.id} data-worker-id={w.id}>
                <td data-label="Name" className="font-medium">
                  <a href={href(w.id)}>{w.name}</a>
                </td>
                <td data-label="Status">
                  <StatusPill tone={STATUS_TONE[w.status]} data-status={w.status}>
                    {STATUS_LABEL[w.status]}
                  </StatusPill>
                </td>
                <td data-label="Capability" data-capability>
                  {capability(w)}
                </td>
                <td data-label="Region">{w.region}</td>
                <td data-label="Reputation">{w.reputationScore.toFixed(2)}</td>
                <td data-label="Jobs served">{w.jobsServed}</td>
                <td data-label="Earnings">{tokens(w.earnings)} tokens</td>
                <td data-label="Stake">
                  <span className={w.stake.sufficient ? undefined : "font-medium text-warning-ink"}>
                    {tokens(w.stake.bonded)} · {tokens(w.stake.exposureUsed)} / {tokens(w.stake.exposureLimit)} tokens
                    {w.stake.sufficient ? "" : " (at its limit: no new jobs)"}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </div>
  );
}
