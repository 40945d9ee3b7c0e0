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
    <svg viewBox={`0 0 ${W} ${H + 20}`} role="img" aria-label="Jobs finished per minute, last 30 minutes" style={{ width: "100%", maxWidth: W }}>
      {perMinute.map((m, i) => {
        const hs = (m.succeeded / max) * H;
        const hf = (m.failed / max) * H;
        return (
          <g key={m.minute}>
            <title>{`${new Date(m.minute).toISOString().slice(11, 16)} UTC: ${m.succeeded} succeeded, ${m.failed} failed`}</title>
            <rect x={i * bw + 1} y={H - hs} width={bw - 2} height={hs} fill="#2563eb" />
            <rect x={i * bw + 1} y={H - hs - hf} width={bw - 2} height={hf} fill="#dc2626" />
          </g>
        );
      })}
      <line x1={0} y1={H} x2={W} y2={H} stroke="#94a3b8" />
      <text x={0} y={H + 15} fontSize={11} fill="#475569">30 min ago</text>
      <text x={W} y={H + 15} fontSize={11} fill="#475569" textAnchor="end">now · peak {max}/min</text>
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
    <svg viewBox={`0 0 ${W} ${H + 20}`} role="img" aria-label="Checks per epoch: passed, failed and fraud" style={{ width: "100%", maxWidth: W }}>
      {shown.map((e, i) => {
        const hp = (e.passes / max) * H;
        const hx = (e.frauds / max) * H;
        const ho = (Math.max(0, e.checksRun - e.passes - e.frauds) / max) * H;
        return (
          <g key={e.epoch}>
            <title>{`${e.startsAt.slice(11, 16)} UTC: ${e.checksRun} checks, ${e.passes} passed, ${e.frauds} fraud, ${e.slashes} slashed, re-check rate ${(e.recheckRate * 100).toFixed(1)} %`}</title>
            <rect x={i * bw + 1} y={H - hp} width={bw - 2} height={hp} fill="#16a34a" />
            <rect x={i * bw + 1} y={H - hp - ho} width={bw - 2} height={ho} fill="#94a3b8" />
            <rect x={i * bw + 1} y={H - hp - ho - hx} width={bw - 2} height={hx} fill="#dc2626" />
          </g>
        );
      })}
      <line x1={0} y1={H} x2={W} y2={H} stroke="#94a3b8" />
      <text x={0} y={H + 15} fontSize={11} fill="#475569">{shown.length} epochs ago</text>
      <text x={W} y={H + 15} fontSize={11} fill="#475569" textAnchor="end">last closed epoch · peak {max} checks</text>
    </svg>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div style={{ border: "1px solid #e2e8f0", borderRadius: 8, padding: "12px 16px", minWidth: 140 }}>
      <div style={{ fontSize: 12, color: "#475569" }}>{label}</div>
      <div style={{ fontSize: 24, fontWeight: 600 }}>{value}</div>
    </div>
  );
}

export default async function Home() {
  let summary: NetworkSummary | null = null;
  let epochs: Epochs = [];
  let verification: Awaited<ReturnType<typeof currentVerification>> | null = null;
  try {
    [summary, epochs, verification] = await Promise.all([getNetworkSummary(), listEpochs({ limit: 48 }), currentVerification()]);
  } catch {
    summary = null;
  }
  return (
    <main style={{ fontFamily: "system-ui, sans-serif", maxWidth: 860, margin: "0 auto", padding: 24, color: "#0f172a" }}>
      <nav aria-label="Site" style={{ display: "flex", justifyContent: "flex-end", fontSize: 14 }}>
        <a href="/explorer" style={{ color: "#1d4ed8" }}>Network explorer</a>
      </nav>
      <h1 style={{ marginBottom: 4 }}>Proofgrid</h1>
      <p style={{ marginTop: 0, color: "#475569" }}>Verified AI inference on independent GPUs. Every result carries a signed receipt.</p>
      {summary ? (
        <>
          <section aria-label="Network" style={{ display: "flex", gap: 12, flexWrap: "wrap", margin: "16px 0" }}>
            <Stat label="Workers online" value={`${summary.nodesOnline} / ${summary.nodesTotal}`} />
            <Stat label="Capacity online" value={`${summary.cuPerHourOnline.toLocaleString("en")} CU/h`} />
            <Stat label="Jobs succeeded" value={(summary.jobsByState.succeeded ?? 0).toLocaleString("en")} />
            <Stat label="Jobs waiting" value={((summary.jobsByState.queued ?? 0) + (summary.jobsByState.running ?? 0)).toLocaleString("en")} />
          </section>
          <h2 style={{ fontSize: 16 }}>Jobs finished per minute</h2>
          <JobsChart perMinute={summary.perMinute} />
          {verification ? (
            <>
              <h2 style={{ fontSize: 16 }}>Verification (Proof of Render)</h2>
              <section aria-label="Verification" style={{ display: "flex", gap: 12, flexWrap: "wrap", margin: "16px 0" }}>
                <Stat label="Checks this epoch" value={verification.checksDone.toLocaleString("en")} />
                <Stat label="Open checks" value={verification.openChecks.toLocaleString("en")} />
                <Stat label="Fraud caught, all epochs" value={(epochs.reduce((a, e) => a + e.frauds, 0) + verification.frauds).toLocaleString("en")} />
                <Stat label="Re-execution floor" value={`${(verification.policy.reexecution.floor * 100).toFixed(1)} %`} />
              </section>
              {epochs.length > 0 ? <VerificationChart epochs={epochs} /> : <p style={{ color: "#475569" }}>No epoch has closed yet.</p>}
              <p style={{ fontSize: 12, color: "#475569" }}>
                Per-epoch statistics: <a href="/api/v1/verification/epochs">/api/v1/verification/epochs</a>
              </p>
            </>
          ) : null}
          <h2 style={{ fontSize: 16 }}>Models</h2>
          <ul>
            {summary.models.map((m) => (
              <li key={m.slug}>
                <code>{m.slug}</code> — {m.name}
                {m.synthetic ? " (synthetic: its outputs carry no meaning)" : ""}
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p role="alert">The network status is unavailable: the database cannot be reached.</p>
      )}
      <h2 style={{ fontSize: 16 }}>Use the API</h2>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: it scrolls sideways on a phone; the keyboard must reach it (axe scrollable-region-focusable) */}
      <pre tabIndex={0} style={{ background: "#f1f5f9", padding: 12, borderRadius: 8, overflowX: "auto" }}>
        {`curl -s $URL/api/v1/jobs -H "Authorization: Bearer $KEY" \\
  -H 'content-type: application/json' \\
  -d '{"model":"encoder-synthetic-minilm","input":{"text":"hello"}}'`}
      </pre>
      <p style={{ fontSize: 12, color: "#475569" }}>Metrics: <a href="/api/metrics">/api/metrics</a> · Public keys for receipts: <a href="/api/v1/public-keys">/api/v1/public-keys</a></p>
    </main>
  );
}
