"use client";

import { Alert } from "~/components/ui/alert";
import { EmptyState } from "~/components/ui/empty-state";
import { SkeletonRows } from "~/components/ui/skeleton";
import { DataTable } from "~/components/ui/data-table";
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
        <DataTable
          scrollLabel="Providers' records, scrollable"
          className="min-w-[36rem]"
          caption="Providers, those with proven frauds first"
          rows={data.providers}
          rowKey={(p) => p.providerId}
          rowProps={(p) => ({ "data-provider": p.providerId })}
          columns={[
            { id: "provider", header: "Provider", rowHeader: true, className: "font-mono", cell: (p) => p.providerId.slice(0, 8) },
            { id: "nodes", header: "Nodes (online)", align: "right", cell: (p) => `${formatInt(p.nodes)} (${formatInt(p.nodesOnline)})` },
            {
              id: "frauds",
              header: "Proven frauds",
              align: "right",
              cellProps: () => ({ "data-frauds": true }),
              cell: (p) => formatInt(p.frauds),
            },
            { id: "slashed", header: "Slashed (tokens)", align: "right", cell: (p) => tokens(p.slashed) },
            { id: "refunded", header: "Refunded (tokens)", align: "right", cell: (p) => tokens(p.refunded) },
          ]}
        />
      )}
    </section>
  );
}
