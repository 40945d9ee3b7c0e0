import type { ReactNode } from "react";
import { switchOrganizationAction } from "../actions";
import styles from "../account.module.css";
import type { requireDashboard } from "../session";
import { SignOutButton } from "../sign-out-button";
import { SiteHeader } from "../site-header";

type Dashboard = Awaited<ReturnType<typeof requireDashboard>>;

const NAV = [
  { href: "/dashboard", label: "Overview" },
  { href: "/dashboard/jobs", label: "Jobs" },
  { href: "/dashboard/playground", label: "Playground" },
  { href: "/dashboard/keys", label: "API keys" },
  { href: "/dashboard/workers", label: "Workers" },
] as const;

/** Header, navigation and organisation switcher around every dashboard page. */
export function DashboardShell({ dashboard, current, children }: { dashboard: Dashboard; current: string; children: ReactNode }) {
  const { session, org } = dashboard;
  const others = session.memberships.filter((m) => m.orgId !== org.orgId);
  return (
    <div className={styles.page}>
      <SiteHeader>
        {NAV.map((n) => (
          <a key={n.href} href={n.href} aria-current={n.href === current ? "page" : undefined}>
            {n.label}
          </a>
        ))}
        <a href="/explorer">Explorer</a>
        <SignOutButton />
      </SiteHeader>
      <div className={styles.inline} style={{ justifyContent: "space-between", marginTop: 12 }}>
        <p className={styles.muted} style={{ margin: 0 }}>
          Signed in as {session.user.email}
          {session.user.isAdmin ? " · platform admin" : ""}
        </p>
        {others.length > 0 ? (
          <form action={switchOrganizationAction} className={styles.inline}>
            <label htmlFor="switch-org" className={styles.muted}>
              Organisation
            </label>
            <select id="switch-org" name="orgId" className={styles.select} style={{ width: "auto" }} defaultValue={org.orgId}>
              {session.memberships.map((m) => (
                <option key={m.orgId} value={m.orgId}>
                  {m.name}
                </option>
              ))}
            </select>
            <button type="submit" className={styles.buttonSecondary}>
              Switch
            </button>
          </form>
        ) : null}
      </div>
      <main id="main">{children}</main>
    </div>
  );
}
