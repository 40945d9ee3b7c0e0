import type { ReactNode } from "react";
import { Main, NavLink, SiteHeader } from "~/components/site/site-header";
import type { requireDashboard } from "../session";
import { SignOutButton } from "../sign-out-button";
import { OrgMenu } from "./org-menu";

type Dashboard = Awaited<ReturnType<typeof requireDashboard>>;

const NAV = [
  { href: "/dashboard", label: "Overview" },
  { href: "/dashboard/jobs", label: "Jobs" },
  { href: "/dashboard/playground", label: "Playground" },
  { href: "/dashboard/keys", label: "API keys" },
  { href: "/dashboard/workers", label: "Workers" },
] as const;

/** Header, navigation and the account menu (with the organisation switcher) around every dashboard page. */
export function DashboardShell({ dashboard, current, children }: { dashboard: Dashboard; current: string; children: ReactNode }) {
  const { session, org } = dashboard;
  return (
    <>
      <SiteHeader
        nav={null}
        actions={
          <>
            <OrgMenu
              email={session.user.email}
              isAdmin={session.user.isAdmin}
              current={{ orgId: org.orgId, name: org.name }}
              memberships={session.memberships.map((m) => ({ orgId: m.orgId, name: m.name }))}
            />
            <SignOutButton />
          </>
        }
      >
        <nav aria-label="Dashboard" className="flex flex-wrap gap-x-5 gap-y-0">
          {NAV.map((n) => (
            <NavLink key={n.href} href={n.href} current={n.href === current}>
              {n.label}
            </NavLink>
          ))}
          <NavLink href="/explorer">Explorer</NavLink>
        </nav>
      </SiteHeader>
      <Main>{children}</Main>
    </>
  );
}
