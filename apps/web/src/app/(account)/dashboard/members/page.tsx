import type { Metadata } from "next";
import { Badge } from "~/components/ui/badge";
import { Card } from "~/components/ui/card";
import { EmptyState } from "~/components/ui/empty-state";
import { Table } from "~/components/ui/table";
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
      <Table stacked aria-labelledby="members-heading">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Joined</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {members.map((m) => {
            const self = m.userId === session.user.id;
            const lastOwner = m.role === "owner" && owners === 1;
            return (
              <tr key={m.userId} data-member={m.email}>
                <td data-label="Name" className="font-medium">
                  {m.name} {self ? <Badge>you</Badge> : null}
                </td>
                <td data-label="Email">{m.email}</td>
                <td data-label="Role">
                  {owner && !lastOwner ? (
                    <RoleForm userId={m.userId} name={m.name} role={m.role} orgId={org.orgId} />
                  ) : (
                    <span data-role={m.role}>{m.role}</span>
                  )}
                </td>
                <td data-label="Joined">{day(m.joinedAt)}</td>
                <td data-label="Actions">
                  {lastOwner ? (
                    <Muted className="m-0 text-xs">The last owner: make someone else an owner to leave.</Muted>
                  ) : owner || self ? (
                    <RemoveMemberButton userId={m.userId} name={m.name} self={self} orgName={org.name} orgId={org.orgId} />
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </Table>
      {owner ? (
        <>
          <SectionTitle id="invitations-heading" tabIndex={-1}>
            Open invitations
          </SectionTitle>
          {invitations.length === 0 ? (
            <EmptyState title="No open invitations.">Invitations you send wait here until they are accepted, for seven days.</EmptyState>
          ) : (
            <Table stacked aria-labelledby="invitations-heading">
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Expires</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {invitations.map((i) => (
                  <tr key={i.id} data-invitation={i.email}>
                    <td data-label="Email">{i.email}</td>
                    <td data-label="Role">{i.role}</td>
                    <td data-label="Expires">{day(i.expiresAt)}</td>
                    <td data-label="Actions">
                      <RevokeInvitationButton id={i.id} email={i.email} orgId={org.orgId} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </>
      ) : null}
    </DashboardShell>
  );
}
