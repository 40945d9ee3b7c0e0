import type { Metadata } from "next";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Card } from "~/components/ui/card";
import { DataTable } from "~/components/ui/data-table";
import { EmptyState } from "~/components/ui/empty-state";
import { Lede, PageTitle, SectionTitle } from "~/components/ui/typography";
import { API_SCOPES } from "~/server/auth/scopes";
import { requireDashboard } from "../../session";
import { DashboardShell } from "../dashboard-shell";
import { CreateKeyForm } from "./create-key-form";
import { RevokeKeyButton } from "./revoke-key-button";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "API keys · Proofgrid" };

const when = (d: Date | null) => (d ? `${d.toISOString().slice(0, 16).replace("T", " ")} UTC` : "never");

export default async function KeysPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const dashboard = await requireDashboard((await searchParams).org);
  const { org, caller } = dashboard;
  const owner = org.role === "owner";
  const keys = owner ? await caller.keys.list() : [];
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/keys">
      <PageTitle>API keys</PageTitle>
      <Lede>
        Keys of {org.name}. Send one as <code>Authorization: Bearer &lt;key&gt;</code> to <code>/api/v1</code>.
      </Lede>
      {owner ? (
        <>
          <SectionTitle>Create a key</SectionTitle>
          <Card>
            <CreateKeyForm scopes={API_SCOPES} orgId={org.orgId} />
          </Card>
          <SectionTitle id="keys-heading" tabIndex={-1}>
            Keys
          </SectionTitle>
          <DataTable
            stacked
            aria-labelledby="keys-heading"
            rows={keys}
            rowKey={(k) => k.id}
            rowProps={(k) => ({ "data-key-prefix": k.prefix, className: k.revokedAt ? "text-muted" : undefined })}
            empty={<EmptyState title="No API keys yet.">Create one above to call the API.</EmptyState>}
            columns={[
              { id: "name", header: "Name", className: "font-medium", cell: (k) => k.name },
              { id: "key", header: "Key", className: "font-mono text-[13px]", cell: (k) => `${k.prefix}_…` },
              {
                id: "scopes",
                header: "Scopes",
                cell: (k) => (
                  <span className="flex flex-wrap gap-1">
                    {k.scopes.map((s) => (
                      <Badge key={s}>{s}</Badge>
                    ))}
                  </span>
                ),
              },
              { id: "created", header: "Created", className: "sm:whitespace-nowrap", cell: (k) => when(k.createdAt) },
              { id: "last-used", header: "Last used", className: "sm:whitespace-nowrap", cell: (k) => when(k.lastUsedAt) },
              {
                id: "status",
                header: "Status",
                cell: (k) => (
                  <div>{k.revokedAt ? `Revoked ${when(k.revokedAt)}` : <RevokeKeyButton id={k.id} name={k.name} orgId={org.orgId} />}</div>
                ),
              },
            ]}
          />
        </>
      ) : (
        <Alert tone="warning">Only the organisation&apos;s owners manage its API keys. Ask an owner to create one for you.</Alert>
      )}
    </DashboardShell>
  );
}
