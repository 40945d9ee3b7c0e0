import type { Metadata } from "next";
import { Alert } from "~/components/ui/alert";
import { Badge, type BadgeTone } from "~/components/ui/badge";
import { Card } from "~/components/ui/card";
import { DataTable } from "~/components/ui/data-table";
import { EmptyState } from "~/components/ui/empty-state";
import { Lede, PageTitle, SectionTitle } from "~/components/ui/typography";
import { WEBHOOK_EVENT_TYPES } from "~/server/services/webhooks/webhook-events";
import { requireDashboard } from "../../session";
import { DashboardShell } from "../dashboard-shell";
import { DashboardTRPCProvider } from "../trpc-provider";
import { CreateEndpointForm, EndpointActions } from "./webhook-controls";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Webhooks · Proofgrid" };

/** Deliveries shown per endpoint (the API pages through the rest). */
const DELIVERIES_SHOWN = 10;

const when = (iso: string | null) => (iso ? `${iso.slice(0, 19).replace("T", " ")} UTC` : "—");

const STATUS_TONE: Record<string, BadgeTone> = { delivered: "success", pending: "info", failed: "danger" };

export default async function WebhooksPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const dashboard = await requireDashboard((await searchParams).org);
  const { org, caller } = dashboard;
  const owner = org.role === "owner";
  const { endpoints } = await caller.webhooks.list();
  const logs = await Promise.all(endpoints.map((e) => caller.webhooks.deliveries({ id: e.id, limit: DELIVERIES_SHOWN })));
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/webhooks">
      <DashboardTRPCProvider key={org.orgId} orgId={org.orgId}>
        <PageTitle>Webhooks</PageTitle>
        <Lede>
          {org.name} is told when a job succeeds, fails or is refunded, and when credits run low: a signed POST (Standard Webhooks) to each
          endpoint, retried for about a day until it answers 2xx. Receivers should deduplicate on <code>webhook-id</code>: delivery is at
          least once.
        </Lede>
        {owner ? (
          <>
            <SectionTitle>Add an endpoint</SectionTitle>
            <Card>
              <CreateEndpointForm events={WEBHOOK_EVENT_TYPES} />
            </Card>
          </>
        ) : (
          <Alert tone="warning">Only the organisation&apos;s owners add endpoints, rotate secrets and send test events.</Alert>
        )}
        <SectionTitle id="endpoints-heading">Endpoints</SectionTitle>
        {endpoints.length === 0 ? <EmptyState title="No endpoints yet.">Add one above to receive webhooks.</EmptyState> : null}
        {endpoints.map((e, i) => (
          <Card key={e.id} className="grid gap-3" data-endpoint-id={e.id}>
            <div className="flex flex-wrap items-center gap-2">
              <strong className="break-all font-mono text-[13px]">{e.url}</strong>
              {e.enabled ? <Badge tone="success">enabled</Badge> : <Badge tone="warning">disabled</Badge>}
              {e.events.map((ev) => (
                <Badge key={ev}>{ev}</Badge>
              ))}
            </div>
            {e.description ? <p className="text-sm">{e.description}</p> : null}
            {e.previousSecretExpiresAt ? (
              <p className="text-sm">The previous secret also signs until {when(e.previousSecretExpiresAt)}.</p>
            ) : null}
            {owner ? <EndpointActions id={e.id} enabled={e.enabled} /> : null}
            <DataTable
              stacked
              aria-label={`Deliveries to ${e.url}`}
              rows={logs[i]?.deliveries ?? []}
              rowKey={(d) => d.id}
              empty={<EmptyState title="No deliveries yet.">Send a test event to see one.</EmptyState>}
              columns={[
                { id: "created", header: "Event at", className: "sm:whitespace-nowrap", cell: (d) => when(d.createdAt) },
                { id: "type", header: "Type", cell: (d) => d.type },
                { id: "id", header: "webhook-id", className: "font-mono text-[12px]", cell: (d) => d.eventId },
                { id: "status", header: "Status", cell: (d) => <Badge tone={STATUS_TONE[d.status] ?? "neutral"}>{d.status}</Badge> },
                {
                  id: "attempts",
                  header: "Attempts",
                  cell: (d) => d.log.map((a) => `${a.statusCode ?? a.error ?? "error"} (${a.latencyMs} ms)`).join(", ") || "not tried yet",
                },
                { id: "next", header: "Next attempt", className: "sm:whitespace-nowrap", cell: (d) => when(d.nextAttemptAt) },
              ]}
            />
          </Card>
        ))}
      </DashboardTRPCProvider>
    </DashboardShell>
  );
}
