"use client";

import { Alert } from "~/components/ui/alert";
import { EmptyState } from "~/components/ui/empty-state";
import { SkeletonRows } from "~/components/ui/skeleton";
import { Table } from "~/components/ui/table";
import { Muted, SectionTitle } from "~/components/ui/typography";
import type { ProviderRecord } from "~/server/services/verification/provider-records";
import { formatInt } from "./format";
import { usePoll } from "./use-poll";

export interface ProvidersResponse {
  providers: ProviderRecord[];
}

const PROVIDERS_POLL_MS = 30_000;
export const PROVIDERS_SHOWN = 10;

function tokens(baseUnits: string): string {
  const v = BigInt(baseUnits);
  const whole = v / 1_000_000n;
  const frac = (v % 1_000_000n).toString().padStart(6, "0").slice(0, 2);
  return `${whole.toLocaleString("en")}.${frac}`;
}

/** Providers' records (frauds first): reputation per provider, not only per node. */
export function ProviderRecords({ initial }: { initial: ProvidersResponse | null }) {
  const { data, error } = usePoll<ProvidersResponse>(`/api/v1/network/providers?limit=${PROVIDERS_SHOWN}`, PROVIDERS_POLL_MS, initial);
  return (
    <section aria-labelledby="providers-heading">
      <SectionTitle id="providers-heading">Providers&apos; records</SectionTitle>
      <Muted>
        A provider whose node was proven fraudulent keeps the record: no starter allowance, its stake counted for less, and every new node
        on probation. Providers are shown by the first characters of their id.
      </Muted>
      {error ? (
        <Alert tone="warning" role="status" className="mt-2">
          Providers&apos; records could not be refreshed ({error}). Retrying every 30 s.
        </Alert>
      ) : null}
      {data === null ? (
        <SkeletonRows label="Loading providers' records…" className="mt-4" />
      ) : data.providers.length === 0 ? (
        <EmptyState title="No provider yet.">Providers appear here when their first node registers.</EmptyState>
      ) : (
        <Table scrollLabel="Providers' records, scrollable" className="min-w-[36rem]">
          <caption className="sr-only">Providers, those with proven frauds first</caption>
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col" className="text-right">
                Nodes (online)
              </th>
              <th scope="col" className="text-right">
                Proven frauds
              </th>
              <th scope="col" className="text-right">
                Slashed (tokens)
              </th>
              <th scope="col" className="text-right">
                Refunded (tokens)
              </th>
            </tr>
          </thead>
          <tbody>
            {data.providers.map((p) => (
              <tr key={p.providerId} data-provider={p.providerId}>
                <th scope="row" className="font-mono">
                  {p.providerId.slice(0, 8)}
                </th>
                <td className="text-right">{`${formatInt(p.nodes)} (${formatInt(p.nodesOnline)})`}</td>
                <td className="text-right" data-frauds>
                  {formatInt(p.frauds)}
                </td>
                <td className="text-right">{tokens(p.slashed)}</td>
                <td className="text-right">{tokens(p.refunded)}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}
