import { randomUUID } from "node:crypto";
import type { Metadata } from "next";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { Main, NavLink, SiteHeader } from "~/components/site/site-header";
import { Alert } from "~/components/ui/alert";
import { Badge } from "~/components/ui/badge";
import { Button } from "~/components/ui/button";
import { Card } from "~/components/ui/card";
import { EmptyState } from "~/components/ui/empty-state";
import { Input, Label } from "~/components/ui/field";
import { Stat, StatList } from "~/components/ui/stat";
import { Table } from "~/components/ui/table";
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
        {orgs.length === 0 ? (
          <EmptyState title="No organisation matches.">Try part of the name, or clear the search.</EmptyState>
        ) : (
          <Table stacked aria-labelledby="orgs-heading">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Members</th>
                <th scope="col">Nodes</th>
                <th scope="col">Available</th>
                <th scope="col">Held</th>
                <th scope="col">Earnings</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {orgs.map((o) => (
                <tr key={o.id} data-org={o.slug}>
                  <td data-label="Name" className="font-medium">
                    {o.name} <span className="text-xs text-muted">{o.slug}</span>
                  </td>
                  <td data-label="Kind">
                    <Badge>{o.kind}</Badge>
                  </td>
                  <td data-label="Members">{o.members}</td>
                  <td data-label="Nodes">{o.nodes}</td>
                  <td data-label="Available" data-available={o.available}>
                    {formatTokens(o.available)}
                  </td>
                  <td data-label="Held">{formatTokens(o.held)}</td>
                  <td data-label="Earnings">{formatTokens(o.earnings)}</td>
                  <td data-label="Created">{o.createdAt.slice(0, 10)}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}

        <SectionTitle id="quarantine-heading" tabIndex={-1}>
          Quarantined nodes
        </SectionTitle>
        {quarantined.length === 0 ? (
          <EmptyState title="No node is quarantined.">Nodes caught by a check land here for review.</EmptyState>
        ) : (
          <Table stacked aria-labelledby="quarantine-heading">
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Provider</th>
                <th scope="col">Region</th>
                <th scope="col">Why</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {quarantined.map((n) => (
                <tr key={n.id} data-node={n.id}>
                  <td data-label="Node" className="font-medium">
                    {n.name} <Badge>{n.role}</Badge>
                  </td>
                  <td data-label="Provider">{n.orgName}</td>
                  <td data-label="Region">{n.region}</td>
                  <td data-label="Why">{n.reason ?? "—"}</td>
                  <td data-label="Actions">
                    <LiftQuarantineButton nodeId={n.id} name={n.name} />
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}

        <SectionTitle id="licences-heading">Checker licences</SectionTitle>
        {licences.length === 0 ? (
          <EmptyState title="No checker licence is granted.">
            Grant one with <code>npm run admin -- grant-licence --org &lt;slug&gt;</code>.
          </EmptyState>
        ) : (
          <Table stacked aria-labelledby="licences-heading">
            <thead>
              <tr>
                <th scope="col">Provider</th>
                <th scope="col">In use by</th>
                <th scope="col">Note</th>
                <th scope="col">Granted</th>
              </tr>
            </thead>
            <tbody>
              {licences.map((l) => (
                <tr key={l.id}>
                  <td data-label="Provider">{l.orgName}</td>
                  <td data-label="In use by" className="font-mono text-xs">
                    {l.nodeId ?? "unused"}
                  </td>
                  <td data-label="Note">{l.note ?? "—"}</td>
                  <td data-label="Granted">{l.createdAt.slice(0, 10)}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Main>
    </>
  );
}
