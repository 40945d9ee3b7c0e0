import { randomUUID } from "node:crypto";
import type { Metadata } from "next";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { Main, NavLink, SiteHeader } from "~/components/site/site-header";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card } from "~/components/ui/card";
import { DataTable } from "~/components/ui/data-table";
import { EmptyState } from "~/components/ui/empty-state";
import { Input, Label } from "~/components/ui/field";
import { Stat, StatList } from "~/components/ui/stat";
import { Lede, PageTitle, SectionTitle } from "~/components/ui/typography";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { formatTokens } from "~/server/services/billing/get-balance";
import { redirectToSignIn } from "../session";
import { SignOutButton } from "../sign-out-button";
import { GrantForm, LiftQuarantineButton } from "./admin-controls";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Admin · Proofgrid", robots: { index: false } };

/** Platform administration. Anyone who is not an administrator gets a 404, as if it did not exist. */
export default async function AdminPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const ctx = await createTRPCContext({ headers: await headers() });
  if (!ctx.session) return redirectToSignIn();
  if (!ctx.session.user.isAdmin) notFound();
  const q = (await searchParams).q;
  const search = typeof q === "string" ? q.slice(0, 80) : "";
  const caller = createCaller(ctx);
  const [overview, orgs, quarantined, licences] = await Promise.all([
    caller.admin.overview(),
    caller.admin.organizations({ search: search || undefined, limit: 50 }),
    caller.admin.quarantined(),
    caller.admin.licences(),
  ]);
  return (
    <>
      <SiteHeader nav={null} actions={<SignOutButton />}>
        <nav aria-label="Admin" className="flex flex-wrap gap-x-5">
          <NavLink href="/admin" current>
            Admin
          </NavLink>
          <NavLink href="/dashboard">Dashboard</NavLink>
          <NavLink href="/explorer">Explorer</NavLink>
        </nav>
      </SiteHeader>
      <Main>
        <PageTitle>Platform administration</PageTitle>
        <Lede>Signed in as {ctx.session.user.email}, a platform administrator.</Lede>
        {overview.ledger.ok ? null : (
          <Alert title="The ledger does not balance.">
            {overview.ledger.unbalancedTransfers} transfers do not sum to zero and {overview.ledger.mismatchedAccounts} stored balances
            differ from their entries. Run <code>npm run admin -- ledger-check</code> for the list, and stop payouts until it is explained.
          </Alert>
        )}
        <StatList aria-label="The platform now">
          <Stat label="Organisations" value={overview.organizations} />
          <Stat label="Users" value={overview.users} />
          <Stat label="Workers online" value={overview.workersOnline} />
          <Stat label="Checkers online" value={overview.checkersOnline} />
          <Stat label="Jobs, last 24 h" value={overview.jobs24h} note={`${overview.failed24h} failed`} />
          <Stat label="Open checks" value={overview.openChecks} />
          <Stat label="Quarantined nodes" value={overview.quarantined} data-stat="quarantined" />
          <Stat label="Ledger" value={overview.ledger.ok ? "balanced" : "NOT balanced"} data-stat="ledger" />
        </StatList>

        <SectionTitle>Grant credits</SectionTitle>
        <Card>
          <GrantForm orgs={orgs.map((o) => ({ id: o.id, name: o.name, slug: o.slug }))} idempotencyKey={randomUUID()} />
        </Card>

        <SectionTitle id="orgs-heading">Organisations</SectionTitle>
        <search aria-label="Organisations">
          <form method="get" className="mb-3 flex flex-wrap items-end gap-2">
            <div className="grid gap-1">
              <Label htmlFor="org-search">Name or slug</Label>
              <Input id="org-search" name="q" defaultValue={search} maxLength={80} className="w-64" />
            </div>
            <Button type="submit" variant="secondary">
              Search
            </Button>
          </form>
        </search>
        <DataTable
          stacked
          aria-labelledby="orgs-heading"
          rows={orgs}
          rowKey={(o) => o.id}
          rowProps={(o) => ({ "data-org": o.slug })}
          empty={<EmptyState title="No organisation matches.">Try part of the name, or clear the search.</EmptyState>}
          columns={[
            {
              id: "name",
              header: "Name",
              className: "font-medium",
              cell: (o) => (
                <>
                  {o.name} <span className="text-xs text-muted">{o.slug}</span>
                </>
              ),
            },
            { id: "kind", header: "Kind", cell: (o) => <Badge>{o.kind}</Badge> },
            { id: "members", header: "Members", cell: (o) => o.members },
            { id: "nodes", header: "Nodes", cell: (o) => o.nodes },
            {
              id: "available",
              header: "Available",
              cellProps: (o) => ({ "data-available": o.available }),
              cell: (o) => formatTokens(o.available),
            },
            { id: "held", header: "Held", cell: (o) => formatTokens(o.held) },
            { id: "earnings", header: "Earnings", cell: (o) => formatTokens(o.earnings) },
            { id: "created", header: "Created", cell: (o) => o.createdAt.slice(0, 10) },
          ]}
        />

        <SectionTitle id="quarantine-heading" tabIndex={-1}>
          Quarantined nodes
        </SectionTitle>
        <DataTable
          stacked
          aria-labelledby="quarantine-heading"
          rows={quarantined}
          rowKey={(n) => n.id}
          rowProps={(n) => ({ "data-node": n.id })}
          empty={<EmptyState title="No node is quarantined.">Nodes caught by a check land here for review.</EmptyState>}
          columns={[
            {
              id: "node",
              header: "Node",
              className: "font-medium",
              cell: (n) => (
                <>
                  {n.name} <Badge>{n.role}</Badge>
                </>
              ),
            },
            { id: "provider", header: "Provider", cell: (n) => n.orgName },
            { id: "region", header: "Region", cell: (n) => n.region },
            { id: "why", header: "Why", cell: (n) => n.reason ?? "—" },
            {
              id: "actions",
              header: "Actions",
              hideHeader: true,
              cell: (n) => <LiftQuarantineButton nodeId={n.id} name={n.name} />,
            },
          ]}
        />

        <SectionTitle id="licences-heading">Checker licences</SectionTitle>
        <DataTable
          stacked
          aria-labelledby="licences-heading"
          rows={licences}
          rowKey={(l) => l.id}
          empty={
            <EmptyState title="No checker licence is granted.">
              Grant one with <code>npm run admin -- grant-licence --org &lt;slug&gt;</code>.
            </EmptyState>
          }
          columns={[
            { id: "provider", header: "Provider", cell: (l) => l.orgName },
            { id: "in-use-by", header: "In use by", className: "font-mono text-xs", cell: (l) => l.nodeId ?? "unused" },
            { id: "note", header: "Note", cell: (l) => l.note ?? "—" },
            { id: "granted", header: "Granted", cell: (l) => l.createdAt.slice(0, 10) },
          ]}
        />
      </Main>
    </>
  );
}
