import { randomUUID } from "node:crypto";
import type { Metadata } from "next";
import { Alert } from "~/components/ui/alert";
import { Badge, type BadgeTone } from "~/components/ui/badge";
import { Card } from "~/components/ui/card";
import { DataTable } from "~/components/ui/data-table";
import { EmptyState } from "~/components/ui/empty-state";
import { Stat, StatList } from "~/components/ui/stat";
import { Lede, Muted, PageTitle, SectionTitle } from "~/components/ui/typography";
import { formatTokens } from "~/server/services/billing/tokens";
import type { WithdrawalView } from "~/server/services/payouts/withdrawals";
import { requireDashboard } from "../../session";
import { DashboardShell } from "../dashboard-shell";
import { PayoutAddressForm, RefreshWhilePending, WithdrawForm } from "./payout-forms";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Payouts · Proofgrid" };

const STATE: Record<WithdrawalView["state"], { label: string; tone: BadgeTone }> = {
  queued: { label: "Queued", tone: "info" },
  signed: { label: "Sending", tone: "info" },
  paid: { label: "Paid", tone: "success" },
  failed: { label: "Returned", tone: "danger" },
};

const when = (d: Date | string) => `${new Date(d).toISOString().slice(0, 16).replace("T", " ")} UTC`;
const short = (hex: string) => `${hex.slice(0, 10)}…${hex.slice(-6)}`;

/** A provider's earnings leaving the platform: the proven payout address, a withdrawal, and each one's way to the chain. */
export default async function PayoutsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const dashboard = await requireDashboard((await searchParams).org);
  const { org, caller } = dashboard;
  const [quote, withdrawals] = await Promise.all([caller.payouts.quote({}), caller.payouts.list({ limit: 50 })]);
  const owner = org.role === "owner";
  const paid = withdrawals.filter((w) => w.state === "paid").reduce((s, w) => s + BigInt(w.net), 0n);
  const inFlight = withdrawals.filter((w) => w.state === "queued" || w.state === "signed");
  const pendingSum = inFlight.reduce((s, w) => s + BigInt(w.amount), 0n);
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/payouts">
      <RefreshWhilePending pending={inFlight.length > 0} />
      <PageTitle>Payouts</PageTitle>
      <Lede>
        Earnings of {org.name} leave the platform as the Proofgrid token on chain
        {quote.chainId !== null ? ` (chain ${quote.chainId}, token ${quote.tokenAddress ? short(quote.tokenAddress) : "unset"})` : ""}, paid
        to an address you prove you hold.
      </Lede>
      {!quote.enabled ? (
        <Alert tone="info" title="Payouts are not configured on this platform.">
          Earnings stay in your balance and can be staked to your workers. (An operator enables payouts with CHAIN_RPC_URL, TOKEN_ADDRESS
          and PAYOUT_PRIVATE_KEY; npm start runs a local chain unless CHAIN=off.)
        </Alert>
      ) : null}
      <StatList aria-label="Payouts">
        <Stat label="Available to withdraw" value={`${formatTokens(quote.available)} tokens`} data-stat="withdrawable" />
        <Stat
          label="Being paid"
          value={`${formatTokens(pendingSum)} tokens`}
          note={`${inFlight.length} withdrawal${inFlight.length === 1 ? "" : "s"}`}
        />
        <Stat label="Paid out (last 50)" value={`${formatTokens(paid)} tokens`} />
      </StatList>

      <SectionTitle>Payout address</SectionTitle>
      <Card>
        {quote.payoutAddress ? (
          <p className="mb-4 text-sm">
            Withdrawals are paid to <code data-payout-address>{quote.payoutAddress}</code>.
          </p>
        ) : (
          <p className="mb-4 text-sm">No payout address yet: prove one to withdraw.</p>
        )}
        {owner ? (
          <PayoutAddressForm orgId={org.orgId} current={quote.payoutAddress} />
        ) : (
          <Muted>Only the organisation&apos;s owners set its payout address.</Muted>
        )}
      </Card>

      <SectionTitle>Withdraw</SectionTitle>
      <Card>
        {!owner ? (
          <Muted>Only the organisation&apos;s owners withdraw.</Muted>
        ) : !quote.payoutAddress ? (
          <Muted>Prove a payout address above first.</Muted>
        ) : (
          <WithdrawForm
            orgId={org.orgId}
            available={quote.available}
            minimum={quote.minimum}
            maximum={quote.maximum}
            flatFee={quote.flatFee}
            feeBps={quote.feeBps}
            idempotencyKey={randomUUID()}
          />
        )}
        <Muted className="mt-3">
          The fee is {formatTokens(quote.flatFee)} tokens{quote.feeBps > 0 ? ` plus ${quote.feeBps / 100} %` : ""}. A withdrawal counts as
          paid {quote.confirmations} block{quote.confirmations === 1 ? "" : "s"} after its transfer is mined; one the chain refuses comes
          back to your balance.
        </Muted>
      </Card>

      <SectionTitle id="withdrawals-heading">Withdrawals</SectionTitle>
      <DataTable
        stacked
        aria-labelledby="withdrawals-heading"
        rows={withdrawals}
        rowKey={(w) => w.id}
        rowProps={(w) => ({ "data-withdrawal": w.id, "data-state": w.state })}
        empty={<EmptyState title="No withdrawals yet.">Each withdrawal appears here with its transaction once it is sent.</EmptyState>}
        columns={[
          { id: "requested", header: "Requested", className: "sm:whitespace-nowrap", cell: (w) => when(w.createdAt) },
          { id: "amount", header: "Amount", cell: (w) => formatTokens(w.amount) },
          { id: "fee", header: "Fee", cell: (w) => formatTokens(w.fee) },
          { id: "arrives", header: "Arrives", cell: (w) => formatTokens(w.net) },
          { id: "to", header: "To", cell: (w) => <code title={w.toAddress}>{short(w.toAddress)}</code> },
          {
            id: "status",
            header: "Status",
            cell: (w) => (
              <>
                <Badge tone={STATE[w.state].tone}>{STATE[w.state].label}</Badge>
                {w.state === "paid" && w.paidAt ? <span className="block text-xs text-muted">{when(w.paidAt)}</span> : null}
                {w.state === "failed" && w.failureReason ? <span className="block text-xs text-muted">{w.failureReason}</span> : null}
              </>
            ),
          },
          {
            id: "transaction",
            header: "Transaction",
            cell: (w) =>
              w.txHash ? (
                w.explorerUrl ? (
                  <a href={w.explorerUrl} target="_blank" rel="noreferrer">
                    <code>{short(w.txHash)}</code>
                  </a>
                ) : (
                  <code title={w.txHash}>{short(w.txHash)}</code>
                )
              ) : (
                "—"
              ),
          },
        ]}
      />
    </DashboardShell>
  );
}
