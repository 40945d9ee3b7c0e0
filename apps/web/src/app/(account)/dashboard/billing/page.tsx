import { randomUUID } from "node:crypto";
import type { Metadata } from "next";
import { Alert } from "~/components/ui/alert";
import { Badge, type BadgeTone } from "~/components/ui/badge";
import { Card } from "~/components/ui/card";
import { DataTable } from "~/components/ui/data-table";
import { EmptyState } from "~/components/ui/empty-state";
import { Stat, StatList } from "~/components/ui/stat";
import { Lede, Muted, PageTitle, SectionTitle } from "~/components/ui/typography";
import type { BillingHistoryItem } from "~/server/services/billing/billing-account";
import { formatMoney, formatTokensAndMoney } from "~/server/services/billing/price";
import { BASE_UNITS_PER_TOKEN, formatTokenAmount } from "~/server/services/billing/tokens";
import { requireDashboard } from "../../session";
import { DashboardShell } from "../dashboard-shell";
import { BuyCreditsForm } from "./buy-credits-form";
import { BillingSettingsForm } from "./settings-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Billing · Proofgrid" };

const KIND_LABEL: Record<BillingHistoryItem["kind"], string> = {
  purchase: "Card purchase",
  auto_topup: "Automatic top-up",
  grant: "Credit grant",
  refund: "Refund",
  dispute: "Card dispute",
  dispute_won: "Dispute won",
};

const STATUS: Record<string, { label: string; tone: BadgeTone }> = {
  paid: { label: "Paid", tone: "success" },
  open: { label: "Not paid yet", tone: "info" },
  expired: { label: "Expired", tone: "neutral" },
  failed: { label: "Failed", tone: "danger" },
  done: { label: "Done", tone: "neutral" },
};

const when = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;
/** Whole tokens for a settings field ("" when unset). */
const wholeTokens = (v: string | null) => (v === null ? "" : (BigInt(v) / BASE_UNITS_PER_TOKEN).toString());

export default async function BillingPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const dashboard = await requireDashboard((await searchParams).org);
  const { org, caller } = dashboard;
  const [overview, history] = await Promise.all([caller.billing.overview(), caller.billing.history()]);
  const { config, settings } = overview;
  const money = (baseUnits: string) => formatTokensAndMoney(baseUnits, config.tokenPriceMinor, config.currency);
  const owed = BigInt(overview.owed);
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/billing">
      <PageTitle>Billing</PageTitle>
      <Lede>
        Credits of {org.name}. One token costs {formatMoney(config.tokenPriceMinor, config.currency)}; jobs are paid in tokens.
      </Lede>
      {owed > 0n ? (
        <Alert tone="warning" title={`Your organisation owes ${money(overview.owed)}.`}>
          A card payment was refunded or disputed after its credits were spent. New jobs are paused until it is paid: buying credits pays
          the debt first.
        </Alert>
      ) : null}
      <StatList aria-label="Balance">
        <Stat label="Available" value={money(overview.available)} data-stat="available" />
        <Stat label="Held for jobs in flight" value={money(overview.held)} />
        <Stat
          label="Spent this month (at most)"
          value={money(overview.spentThisMonth)}
          note={settings.monthlySpendCap ? `cap ${formatTokenAmount(settings.monthlySpendCap)} tokens` : "no cap"}
        />
      </StatList>

      <SectionTitle>Buy credits</SectionTitle>
      {config.cardPayments ? (
        <Card>
          <BuyCreditsForm
            orgId={org.orgId}
            packs={config.packs}
            minTokens={config.minTokens}
            maxTokens={config.maxTokens}
            tokenPriceMinor={config.tokenPriceMinor}
            currency={config.currency}
            idempotencyKey={randomUUID()}
          />
          <Muted className="mt-3">You pay on Stripe&apos;s checkout page; the tokens arrive as soon as Stripe confirms the payment.</Muted>
        </Card>
      ) : (
        <Alert tone="info" title="Card payments are not configured on this platform.">
          Ask the platform team for a credit grant. (An operator enables card payments by setting STRIPE_SECRET_KEY and
          STRIPE_WEBHOOK_SECRET.)
        </Alert>
      )}

      <SectionTitle>Spend controls and automatic top-up</SectionTitle>
      {org.role === "owner" ? (
        <Card>
          <BillingSettingsForm
            orgId={org.orgId}
            cardPayments={config.cardPayments}
            savedCard={settings.savedCard}
            initial={{
              monthlySpendCap: wholeTokens(settings.monthlySpendCap),
              lowBalanceThreshold: wholeTokens(settings.lowBalanceThreshold),
              autoTopupThreshold: wholeTokens(settings.autoTopupThreshold),
              autoTopupAmount: wholeTokens(settings.autoTopupAmount),
              autoTopupEnabled: settings.autoTopupEnabled,
            }}
          />
        </Card>
      ) : (
        <Muted>Only the organisation&apos;s owners change its spend cap, alerts and automatic top-up.</Muted>
      )}

      <SectionTitle id="history-heading">History</SectionTitle>
      <DataTable
        stacked
        aria-labelledby="history-heading"
        rows={history}
        rowKey={(h) => `${h.kind}:${h.id}`}
        rowProps={(h) => ({ "data-history-kind": h.kind })}
        empty={<EmptyState title="No purchases or grants yet.">Credits you buy or are granted appear here with their receipts.</EmptyState>}
        columns={[
          { id: "when", header: "When", className: "sm:whitespace-nowrap", cell: (h) => when(h.at) },
          {
            id: "what",
            header: "What",
            cell: (h) => (
              <>
                {KIND_LABEL[h.kind]}
                {h.memo ? <span className="block text-xs text-muted">{h.memo}</span> : null}
                {BigInt(h.toDebt) > 0n ? <span className="block text-xs text-muted">{formatTokenAmount(h.toDebt)} tokens owed</span> : null}
              </>
            ),
          },
          {
            id: "tokens",
            header: "Tokens",
            className: "sm:whitespace-nowrap",
            cell: (h) => {
              const tokens = BigInt(h.tokens);
              return tokens === 0n ? "—" : `${tokens > 0n ? "+" : ""}${formatTokenAmount(h.tokens)}`;
            },
          },
          {
            id: "amount",
            header: "Amount",
            className: "sm:whitespace-nowrap",
            cell: (h) => (h.amountMinor !== null && h.currency ? formatMoney(h.amountMinor, h.currency) : "—"),
          },
          {
            id: "status",
            header: "Status",
            cell: (h) => {
              const status = STATUS[h.status] ?? { label: h.status, tone: "neutral" as const };
              return <Badge tone={status.tone}>{status.label}</Badge>;
            },
          },
          {
            id: "receipt",
            header: "Receipt",
            cell: (h) =>
              h.receiptUrl ? (
                <a href={h.receiptUrl} target="_blank" rel="noreferrer">
                  Receipt
                  <span className="sr-only">
                    {" "}
                    for the {KIND_LABEL[h.kind].toLowerCase()} of {when(h.at)}
                  </span>
                </a>
              ) : (
                "—"
              ),
          },
        ]}
      />
    </DashboardShell>
  );
}
