import { Alert } from "~/components/ui/alert";
import { Card } from "~/components/ui/card";
import { DataTable } from "~/components/ui/data-table";
import { Muted } from "~/components/ui/typography";
import type { CapabilityEvidence } from "~/server/services/providers/get-capability-evidence";

const ms = (v: number | null) => (v === null ? "—" : `${v.toLocaleString("en")} ms`);
const cu = (v: number | null) => (v === null ? "—" : `${v.toLocaleString("en")} CU/h`);
const at = (iso: string | null) => (iso ? `${iso.slice(11, 19)} UTC` : "—");

/**
 * What the provider sees of its worker's capability decision: the claim, what each
 * registration measurement delivered (every job with its receipt time, the platform's own
 * lease-to-result time and what was charged; the per-model medians), and the decision with
 * its reason. Nothing here is estimated: it is the evidence the platform decided on.
 */
export function CapabilityEvidenceView({ evidence }: { evidence: CapabilityEvidence }) {
  const pending = evidence.admission === "pending";
  const latest = evidence.measurements.at(-1)?.decision ?? null;
  return (
    <Card data-capability>
      <p className="text-sm" data-capability-summary>
        Claimed {cu(evidence.claimedCuPerHour)} · credited {cu(evidence.creditedCuPerHour)} ({evidence.admission})
        {evidence.machineBusy !== null
          ? ` · other processes used ${Math.round(evidence.machineBusy * 100)} % of its machine at its last heartbeat`
          : ""}
      </p>
      {latest ? (
        <Muted className="mt-1" data-capability-decision={latest.decision}>
          Decision: {latest.decision} — {latest.reason}.
        </Muted>
      ) : null}
      {pending && evidence.measurements.length === 0 ? (
        <Muted className="mt-1">
          The check runs once its machine has been idle for a few seconds (its heartbeats report how busy the machine is), not while it is
          still busy starting.
        </Muted>
      ) : null}
      {evidence.remeasureAfter ? (
        <Alert className="mt-2" title="Measured again before any derating">
          The last measurement was under 90 % of the claim. It is repeated at an idle time after {at(evidence.remeasureAfter)}; the worker
          is derated only if that one falls short too, and then to the better of the two.
        </Alert>
      ) : null}
      {evidence.measurements.map((m, i) => (
        <div key={m.checkId} className="mt-4">
          <p className="text-sm font-medium">
            Measurement {i + 1}: {m.status === "done" ? `${cu(m.measuredCuPerHour)} delivered` : m.status} · started {at(m.openedAt)}
          </p>
          {m.perModel.length > 0 ? (
            <Muted>
              Medians of the timed jobs:{" "}
              {m.perModel
                .map((p) => `${p.model} ${ms(p.medianChargedMs)} for ${p.medianCostMilliCu} mCU (${p.timedJobs} jobs)`)
                .join(" · ")}
            </Muted>
          ) : null}
          {m.jobs.length > 0 ? (
            <DataTable
              stacked
              aria-label={`Measurement ${i + 1}: each job`}
              rows={m.jobs}
              rowKey={(j) => j.jobId}
              columns={[
                { id: "model", header: "Model", cell: (j) => j.model },
                { id: "cost", header: "Cost", cell: (j) => `${j.costMilliCu} mCU` },
                { id: "receipt", header: "Receipt", cell: (j) => ms(j.receiptMs) },
                { id: "lease", header: "Lease to result", cell: (j) => ms(j.leaseMs) },
                { id: "charged", header: "Charged", cell: (j) => (j.timed ? ms(j.chargedMs) : "warm-up, not timed") },
              ]}
            />
          ) : null}
        </div>
      ))}
    </Card>
  );
}
