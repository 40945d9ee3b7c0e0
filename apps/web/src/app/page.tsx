import { Suspense } from "react";
import { AccountLinks } from "~/components/site/account-links";
import { Main, NavLink, SiteFooter, SiteHeader } from "~/components/site/site-header";
import { Alert } from "~/components/ui/alert";
import { buttonClasses } from "~/components/ui/button";
import { Card } from "~/components/ui/card";
import { Skeleton } from "~/components/ui/skeleton";
import { Stat, StatList } from "~/components/ui/stat";
import { Muted, Pre, SectionTitle } from "~/components/ui/typography";
import { getNetworkSummary, type NetworkSummary } from "~/server/services/network/get-network-summary";
import { currentVerification, listEpochs } from "~/server/services/verification/stats";

type Epochs = Awaited<ReturnType<typeof listEpochs>>;

export const dynamic = "force-dynamic";

function JobsChart({ perMinute }: { perMinute: NetworkSummary["perMinute"] }) {
  const W = 600;
  const H = 140;
  const max = Math.max(1, ...perMinute.map((m) => m.succeeded + m.failed));
  const bw = W / Math.max(1, perMinute.length);
  return (
    <svg
      viewBox={`0 0 ${W} ${H + 20}`}
      role="img"
      aria-label="Jobs finished per minute, last 30 minutes"
      className="h-auto w-full max-w-2xl"
    >
      {perMinute.map((m, i) => {
        const hs = (m.succeeded / max) * H;
        const hf = (m.failed / max) * H;
        return (
          <g key={m.minute}>
            <title>{`${new Date(m.minute).toISOString().slice(11, 16)} UTC: ${m.succeeded} succeeded, ${m.failed} failed`}</title>
            <rect x={i * bw + 1} y={H - hs} width={bw - 2} height={hs} className="fill-chart" />
            <rect x={i * bw + 1} y={H - hs - hf} width={bw - 2} height={hf} className="fill-danger" />
          </g>
        );
      })}
      <line x1={0} y1={H} x2={W} y2={H} className="stroke-line-strong" />
      <text x={0} y={H + 15} fontSize={11} className="fill-muted">
        30 min ago
      </text>
      <text x={W} y={H + 15} fontSize={11} className="fill-muted" textAnchor="end">
        now · peak {max}/min
      </text>
    </svg>
  );
}

/** Checks per epoch, oldest left: passed in green, proven fraud in red, the rest in grey. */
function VerificationChart({ epochs }: { epochs: Epochs }) {
  const W = 600;
  const H = 120;
  const shown = [...epochs].reverse();
  const max = Math.max(1, ...shown.map((e) => e.checksRun));
  const bw = W / Math.max(1, shown.length);
  return (
    <svg
      viewBox={`0 0 ${W} ${H + 20}`}
      role="img"
      aria-label="Checks per epoch: passed, failed and fraud"
      className="h-auto w-full max-w-2xl"
    >
      {shown.map((e, i) => {
        const hp = (e.passes / max) * H;
        const hx = (e.frauds / max) * H;
        const ho = (Math.max(0, e.checksRun - e.passes - e.frauds) / max) * H;
        return (
          <g key={e.epoch}>
            <title>{`${e.startsAt.slice(11, 16)} UTC: ${e.checksRun} checks, ${e.passes} passed, ${e.frauds} fraud, ${e.slashes} slashed, re-check rate ${(e.recheckRate * 100).toFixed(1)} %`}</title>
            <rect x={i * bw + 1} y={H - hp} width={bw - 2} height={hp} className="fill-success" />
            <rect x={i * bw + 1} y={H - hp - ho} width={bw - 2} height={ho} className="fill-subtle" />
            <rect x={i * bw + 1} y={H - hp - ho - hx} width={bw - 2} height={hx} className="fill-danger" />
          </g>
        );
      })}
      <line x1={0} y1={H} x2={W} y2={H} className="stroke-line-strong" />
      <text x={0} y={H + 15} fontSize={11} className="fill-muted">
        {shown.length} epochs ago
      </text>
      <text x={W} y={H + 15} fontSize={11} className="fill-muted" textAnchor="end">
        last closed epoch · peak {max} checks
      </text>
    </svg>
  );
}

/** The network's numbers, read from the database: streamed after the page's frame. */
async function NetworkStatus() {
  let summary: NetworkSummary | null = null;
  let epochs: Epochs = [];
  let verification: Awaited<ReturnType<typeof currentVerification>> | null = null;
  try {
    [summary, epochs, verification] = await Promise.all([getNetworkSummary(), listEpochs({ limit: 48 }), currentVerification()]);
  } catch {
    summary = null;
  }
  if (!summary)
    return (
      <Alert title="The network status is unavailable: the database cannot be reached." className="mt-6">
        Reload the page in a minute. If you run Proofgrid yourself, check that the database is up and the server's logs.
      </Alert>
    );
  return (
    <>
      <SectionTitle>Network</SectionTitle>
      <StatList aria-label="Network">
        <Stat label="Workers online" value={`${summary.nodesOnline} / ${summary.nodesTotal}`} />
        <Stat label="Capacity online" value={`${summary.cuPerHourOnline.toLocaleString("en")} CU/h`} />
        <Stat label="Jobs succeeded" value={(summary.jobsByState.succeeded ?? 0).toLocaleString("en")} />
        <Stat label="Jobs waiting" value={((summary.jobsByState.queued ?? 0) + (summary.jobsByState.running ?? 0)).toLocaleString("en")} />
      </StatList>
      <Card>
        <h3 className="mb-2 text-base font-semibold">Jobs finished per minute</h3>
        <JobsChart perMinute={summary.perMinute} />
      </Card>
      {verification ? (
        <>
          <SectionTitle>Verification (Proof of Render)</SectionTitle>
          <StatList aria-label="Verification">
            <Stat label="Checks this epoch" value={verification.checksDone.toLocaleString("en")} />
            <Stat label="Open checks" value={verification.openChecks.toLocaleString("en")} />
            <Stat
              label="Fraud caught, all epochs"
              value={(epochs.reduce((a, e) => a + e.frauds, 0) + verification.frauds).toLocaleString("en")}
            />
            <Stat label="Re-execution floor" value={`${(verification.policy.reexecution.floor * 100).toFixed(1)} %`} />
          </StatList>
          <Card>
            {epochs.length > 0 ? <VerificationChart epochs={epochs} /> : <Muted>No epoch has closed yet.</Muted>}
            <Muted className="mt-2">
              Per-epoch statistics: <a href="/api/v1/verification/epochs">/api/v1/verification/epochs</a>
            </Muted>
          </Card>
        </>
      ) : null}
      <SectionTitle>Models</SectionTitle>
      <ul className="grid gap-2 sm:grid-cols-2">
        {summary.models.map((m) => (
          <li key={m.slug} className="rounded-lg border border-line bg-white px-4 py-3 text-sm">
            <code className="font-semibold">{m.slug}</code>
            <span className="block text-muted">
              {m.name}
              {m.synthetic ? " (synthetic: its outputs carry no meaning)" : ""}
            </span>
          </li>
        ))}
      </ul>
    </>
  );
}

function NetworkStatusSkeleton() {
  return (
    <div aria-busy="true" className="mt-8">
      <Muted>Loading the network status…</Muted>
      <ul className="my-4 grid grid-cols-2 gap-3 md:grid-cols-4" aria-hidden="true">
        {["a", "b", "c", "d"].map((k) => (
          <li key={k} className="rounded-lg border border-line bg-white px-4 py-3">
            <Skeleton className="h-3 w-24" />
            <Skeleton className="mt-3 h-7 w-16" />
          </li>
        ))}
      </ul>
      <Skeleton className="h-40 w-full rounded-lg" />
    </div>
  );
}

export default function Home() {
  return (
    <>
      <SiteHeader
        nav={
          <>
            <NavLink href="/explorer">Network explorer</NavLink>
            <AccountLinks />
          </>
        }
      />
      <Main>
        <section className="mt-6 rounded-lg border border-line bg-white px-5 py-8 shadow-card sm:px-8 sm:py-10">
          <h1 className="text-3xl font-bold tracking-tight sm:text-4xl">Proofgrid</h1>
          <p className="mt-2 max-w-2xl text-lg text-muted">
            Verified AI inference on independent GPUs. Every result carries a signed receipt.
          </p>
          <div className="mt-6 flex flex-wrap gap-3">
            <a href="/signup" className={buttonClasses()}>
              Create an account
            </a>
            <a href="/explorer" className={buttonClasses({ variant: "secondary" })}>
              See the network live
            </a>
          </div>
        </section>
        <Suspense fallback={<NetworkStatusSkeleton />}>
          <NetworkStatus />
        </Suspense>
        <SectionTitle>Use the API</SectionTitle>
        {/* Focusable: it scrolls sideways on a phone and the keyboard must reach it (axe scrollable-region-focusable). */}
        <Pre tabIndex={0} className="overflow-x-auto border-ink bg-ink whitespace-pre text-line [overflow-wrap:normal]">
          {`curl -s $URL/api/v1/jobs -H "Authorization: Bearer $KEY" \\
  -H 'content-type: application/json' \\
  -d '{"model":"encoder-synthetic-minilm","input":{"text":"hello"}}'`}
        </Pre>
      </Main>
      <SiteFooter>
        Metrics: <a href="/api/metrics">/api/metrics</a> · Public keys for receipts: <a href="/api/v1/public-keys">/api/v1/public-keys</a>
      </SiteFooter>
    </>
  );
}
