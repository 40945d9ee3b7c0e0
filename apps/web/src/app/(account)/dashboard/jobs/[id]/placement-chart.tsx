import { z } from "zod";
import { Card } from "~/components/ui/card";
import { DataTable } from "~/components/ui/data-table";
import { Muted } from "~/components/ui/typography";

// The stored placement is JSON written by the dispatcher; read it defensively.
const num = z
  .number()
  .nullish()
  .transform((v) => v ?? null);
const ZTerm = z.object({ value: z.number(), weight: z.number(), contribution: z.number() });
const ZExplanation = z.object({ workerId: z.string(), score: z.number(), terms: z.record(z.string(), ZTerm) });
const ZPlacement = z.object({
  via: z.string(),
  workerRegion: z.string(),
  clientRegion: z.string().nullish(),
  score: num,
  expectedRttMs: num,
  considered: z.number().nullish(),
  scanned: z.number().nullish(),
  explanation: z.object({ winner: ZExplanation.nullish(), runnerUp: ZExplanation.nullish() }).nullish(),
});

const VIA = {
  indexer: "chosen by the indexer",
  reservation: "a worker reserved for this organisation",
  pinned: "the worker the job was pinned to",
} as const;
const fmt = (n: number) => n.toFixed(3);

/** Why this worker: each term's value × weight as a bar, the winner against the runner-up. */
export function PlacementChart({ placement }: { placement: unknown }) {
  const parsed = ZPlacement.safeParse(placement);
  if (!parsed.success) return <Muted>Not placed yet: the indexer explains its choice once a worker is assigned.</Muted>;
  const p = parsed.data;
  const winner = p.explanation?.winner ?? null;
  const runnerUp = p.explanation?.runnerUp ?? null;
  const terms = winner ? Object.entries(winner.terms) : [];
  const max = Math.max(1e-9, ...terms.map(([, t]) => t.contribution), ...Object.values(runnerUp?.terms ?? {}).map((t) => t.contribution));
  return (
    <Card className="grid gap-3">
      <p className="text-sm">
        Placed in <strong>{p.workerRegion}</strong>
        {p.clientRegion ? ` for a client in ${p.clientRegion}` : ""}: {VIA[p.via as keyof typeof VIA] ?? p.via}
        {p.score !== null ? `, score ${fmt(p.score)}` : ""}
        {p.expectedRttMs !== null ? `, expected round trip ${Math.round(p.expectedRttMs)} ms` : ""}.
        {p.scanned ? ` ${p.considered ?? 0} of ${p.scanned} workers looked at passed the hard filters.` : ""}
      </p>
      {winner ? (
        <>
          <DataTable
            stacked
            aria-label="Placement score by term (value × weight)"
            rows={terms}
            rowKey={([name]) => name}
            rowProps={([name]) => ({ "data-term": name })}
            columns={[
              { id: "term", header: "Term", cell: ([name]) => name },
              // "Chosen" is the phone card's label: the full header does not fit its 6.5rem label column.
              { id: "chosen", header: "Chosen worker", label: "Chosen", cell: ([, t]) => <Bar t={t} max={max} className="bg-accent" /> },
              ...(runnerUp
                ? [
                    {
                      id: "runner-up",
                      header: "Runner-up",
                      cell: ([name]: (typeof terms)[number]) => {
                        const r = runnerUp.terms[name];
                        return r ? <Bar t={r} max={max} className="bg-subtle" /> : "—";
                      },
                    },
                  ]
                : []),
            ]}
          />
          <Muted>
            Total: chosen worker {fmt(winner.score)}
            {runnerUp
              ? ` · runner-up ${fmt(runnerUp.score)} (worker ${runnerUp.workerId.slice(0, 8)})`
              : " · no runner-up: it was the only eligible worker"}
            .
          </Muted>
        </>
      ) : null}
    </Card>
  );
}

function Bar({ t, max, className }: { t: z.infer<typeof ZTerm>; max: number; className: string }) {
  const pct = Math.max(0, Math.min(100, (t.contribution / max) * 100));
  return (
    <div className="grid w-full min-w-30 gap-0.5">
      <div aria-hidden="true" className="h-2.5 rounded-sm bg-surface-muted">
        <div className={`h-2.5 rounded-sm ${className}`} style={{ width: `${pct}%` }} />
      </div>
      <span className="font-mono text-[13px]">
        {fmt(t.value)} × {fmt(t.weight)} = {fmt(t.contribution)}
      </span>
    </div>
  );
}
