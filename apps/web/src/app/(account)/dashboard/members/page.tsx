import type { Metadata } from "next";
import { Badge } from "~/components/ui/badge";
import { Card } from "~/components/ui/card";
import { DataTable } from "~/components/ui/data-table";
import { EmptyState } from "~/components/ui/empty-state";
import { Lede, Muted, PageTitle, SectionTitle } from "~/components/ui/typography";
import { requireDashboard } from "../../session";
import { DashboardShell } from "../dashboard-shell";
import { InviteForm } from "./invite-form";
import { RemoveMemberButton, RevokeInvitationButton, RoleForm } from "./member-controls";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Members · Proofgrid" };

const day = (iso: string) => iso.slice(0, 10);

export default async function MembersPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const dashboard = await requireDashboard((await searchParams).org);
  const { org, caller, session } = dashboard;
  const owner = org.role === "owner";
  const { members, invitations } = await caller.members.list();
  const owners = members.filter((m) => m.role === "owner").length;
  type Member = (typeof members)[number];
  const isSelf = (m: Member) => m.userId === session.user.id;
  const isLastOwner = (m: Member) => m.role === "owner" && owners === 1;
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/members">
      <PageTitle>Members</PageTitle>
      <Lede>People of {org.name}. Owners invite, change roles and manage API keys; members run jobs, see usage and manage workers.</Lede>
      {owner ? (
        <>
          <SectionTitle>Invite someone</SectionTitle>
          <Card>
            <InviteForm orgId={org.orgId} />
          </Card>
        </>
      ) : null}
      <SectionTitle id="members-heading" tabIndex={-1}>
        People
      </SectionTitle>
      <DataTable
        stacked
        aria-labelledby="members-heading"
        rows={members}
        rowKey={(m) => m.userId}
        rowProps={(m) => ({ "data-member": m.email })}
        columns={[
          {
            id: "name",
            header: "Name",
            className: "font-medium",
            cell: (m) => (
              <>
                {m.name} {isSelf(m) ? <Badge>you</Badge> : null}
              </>
            ),
          },
          { id: "email", header: "Email", cell: (m) => m.email },
          {
            id: "role",
            header: "Role",
            cell: (m) =>
              owner && !isLastOwner(m) ? (
                <RoleForm userId={m.userId} name={m.name} role={m.role} orgId={org.orgId} />
              ) : (
                <span data-role={m.role}>{m.role}</span>
              ),
          },
          { id: "joined", header: "Joined", cell: (m) => day(m.joinedAt) },
          {
            id: "actions",
            header: "Actions",
            hideHeader: true,
            cell: (m) =>
              isLastOwner(m) ? (
                <Muted className="m-0 text-xs">The last owner: make someone else an owner to leave.</Muted>
              ) : owner || isSelf(m) ? (
                <RemoveMemberButton userId={m.userId} name={m.name} self={isSelf(m)} orgName={org.name} orgId={org.orgId} />
              ) : null,
          },
        ]}
      />
      {owner ? (
        <>
          <SectionTitle id="invitations-heading" tabIndex={-1}>
            Open invitations
          </SectionTitle>
          <DataTable
            stacked
            aria-labelledby="invitations-heading"
            rows={invitations}
            rowKey={(i) => i.id}
            rowProps={(i) => ({ "data-invitation": i.email })}
            empty={
              <EmptyState title="No open invitations.">Invitations you send wait here until they are accepted, for seven days.</EmptyState>
            }
            columns={[
              { id: "email", header: "Email", cell: (i) => i.email },
              { id: "role", header: "Role", cell: (i) => i.role },
              { id: "expires", header: "Expires", cell: (i) => day(i.expiresAt) },
              {
                id: "actions",
                header: "Actions",
                hideHeader: true,
                cell: (i) => <RevokeInvitationButton id={i.id} email={i.email} orgId={org.orgId} />,
              },
            ]}
          />
        </>
      ) : null}
    </DashboardShell>
  );
}
