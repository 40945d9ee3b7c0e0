import type { ReactNode } from "react";
import { Main, NavLink, SiteHeader } from "~/components/site/site-header";
import { Button } from "~/components/ui/button";
import { Label, Select } from "~/components/ui/field";
import { switchOrganizationAction } from "../actions";
import type { requireDashboard } from "../session";
import { SignOutButton } from "../sign-out-button";
import { CurrentTabInView } from "./current-tab-in-view";
import { AccountMenu } from "./account-menu";

type Dashboard = Awaited<ReturnType<typeof requireDashboard>>;

const NAV = [
  { href: "/dashboard", label: "Overview" },
  { href: "/dashboard/jobs", label: "Jobs" },
  { href: "/dashboard/playground", label: "Playground" },
  { href: "/dashboard/models", label: "Models" },
  { href: "/dashboard/keys", label: "API keys" },
  { href: "/dashboard/webhooks", label: "Webhooks" },
  { href: "/dashboard/billing", label: "Billing" },
  { href: "/dashboard/workers", label: "Workers" },
  { href: "/dashboard/payouts", label: "Payouts" },
  { href: "/dashboard/rewards", label: "Rewards" },
  { href: "/dashboard/members", label: "Members" },
] as const;

/** Header, navigation, the organisation switcher and the account menu around every dashboard page. */
export function DashboardShell({ dashboard, current, children }: { dashboard: Dashboard; current: string; children: ReactNode }) {
  const { session, org } = dashboard;
  const others = session.memberships.filter((m) => m.orgId !== org.orgId);
  return (
    <>
      <SiteHeader
        nav={null}
        actions={
          <>
            {others.length > 0 ? (
              // A plain form: it switches without JavaScript too.
              <form action={switchOrganizationAction} className="flex items-center gap-2">
                <Label htmlFor="switch-org" className="font-normal text-muted max-sm:sr-only">
                  Organisation
                </Label>
                <Select id="switch-org" name="orgId" defaultValue={org.orgId} className="w-auto max-w-[10rem] py-1 sm:max-w-[14rem]">
                  {session.memberships.map((m) => (
                    <option key={m.orgId} value={m.orgId}>
                      {m.name}
                    </option>
                  ))}
                </Select>
                <Button type="submit" variant="secondary" size="sm">
                  Switch
                </Button>
              </form>
            ) : null}
            <AccountMenu email={session.user.email} isAdmin={session.user.isAdmin} org={{ name: org.name, role: org.role }} />
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
          <NavLink href="/docs/api">API reference</NavLink>
        </nav>
        <CurrentTabInView navId="dashboard-tabs" />
      </SiteHeader>
      <Main>{children}</Main>
    </>
  );
}
