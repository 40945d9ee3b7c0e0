import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Alert } from "~/components/ui/alert";
import { Stat, StatList } from "~/components/ui/stat";
import { Lede, PageTitle } from "~/components/ui/typography";
import { formatMoney, formatTokensAndMoney } from "~/server/services/billing/price";
import { formatTokenAmount } from "~/server/services/billing/tokens";
import { requireDashboard } from "../../../session";
import { DashboardShell } from "../../dashboard-shell";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Payment · Proofgrid" };

/** Stripe Checkout sends the buyer here; the purchase is credited by the webhook or, if it is late, by asking Stripe. */
export default async function CheckoutSuccessPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const dashboard = await requireDashboard(params.org);
  const { org, caller } = dashboard;
  const sessionId = typeof params.session_id === "string" ? params.session_id : "";
  const purchase = await caller.billing.confirmCheckout({ sessionId }).catch((err: unknown) => {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) notFound();
    throw err;
  });
  const overview = await caller.billing.overview();
  const back = `/dashboard/billing?org=${encodeURIComponent(org.orgId)}`;
  const paid = purchase.status === "paid";
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/billing">
      {/* Until Stripe's confirmation arrives, look again every 2 s. */}
      {paid ? null : <meta httpEquiv="refresh" content="2" />}
      <PageTitle>{paid ? "Payment received" : "Waiting for the payment"}</PageTitle>
      {paid ? (
        <Alert tone="success" role="status" title={`${formatTokenAmount(purchase.tokens)} tokens were added to ${org.name}.`}>
          You paid {formatMoney(purchase.amountMinor, purchase.currency)}.{" "}
          {purchase.receiptUrl ? (
            <a href={purchase.receiptUrl} target="_blank" rel="noreferrer">
              View the receipt
            </a>
          ) : (
            "The receipt link appears in the billing history in a moment."
          )}
        </Alert>
      ) : (
        <Lede>
          {purchase.status === "open" || purchase.status === "creating"
            ? "Stripe has not confirmed the payment yet. This page checks again every few seconds."
            : `This checkout ${purchase.status === "expired" ? "expired" : "failed"} and nothing was charged.`}
        </Lede>
      )}
      <StatList aria-label="Balance">
        <Stat
          label="Available"
          value={formatTokensAndMoney(overview.available, overview.config.tokenPriceMinor, overview.config.currency)}
          data-stat="available"
        />
      </StatList>
      <p>
        <a href={back}>Back to billing</a>
      </p>
    </DashboardShell>
  );
}
