import type { ReactNode } from "react";
import { Main, NavLink, SiteHeader } from "~/components/site/site-header";
import type { requireDashboard } from "../session";
import { SignOutButton } from "../sign-out-button";
import { CurrentTabInView } from "./current-tab-in-view";
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
        {/* One row that scrolls sideways on a phone rather than wrapping into two rows of tabs. */}
        <nav
          id="dashboard-tabs"
          aria-label="Dashboard"
          className="-mx-4 flex gap-x-5 overflow-x-auto overflow-y-hidden px-4 whitespace-nowrap sm:mx-0 sm:px-0"
        >
          {NAV.map((n) => (
            <NavLink key={n.href} href={n.href} current={n.href === current}>
              {n.label}
            </NavLink>
          ))}
          <NavLink href="/explorer">Explorer</NavLink>
        </nav>
        <CurrentTabInView navId="dashboard-tabs" />
      </SiteHeader>
      <Main>{children}</Main>
    </>
  );
}
