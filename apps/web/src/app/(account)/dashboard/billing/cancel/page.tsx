import type { Metadata } from "next";
import { Lede, PageTitle } from "~/components/ui/typography";
import { requireDashboard } from "../../../session";
import { DashboardShell } from "../../dashboard-shell";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Payment canceled · Proofgrid" };

/** Stripe Checkout's cancel link: nothing was charged; the session simply expires. */
export default async function CheckoutCancelPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const dashboard = await requireDashboard(params.org);
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/billing">
      <PageTitle>Payment canceled</PageTitle>
      <Lede>Nothing was charged and no credits were added.</Lede>
      <p>
        <a href={`/dashboard/billing?org=${encodeURIComponent(dashboard.org.orgId)}`}>Back to billing</a>
      </p>
    </DashboardShell>
  );
}
