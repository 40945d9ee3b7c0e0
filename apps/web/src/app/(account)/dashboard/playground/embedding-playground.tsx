"use client";

import { type EncoderOutput, LIMITS } from "@proofgrid/models/model-schemas";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { Button } from "~/components/ui/button";
import { Field, FieldError, FieldHint, Label, Textarea } from "~/components/ui/field";
import { Stat, StatList } from "~/components/ui/stat";
import { JobLink } from "./job-link";
import { JobProblem } from "./job-problem";
import { type JobOutcome, keepJobInAddress, runJob } from "./run-job";
import { RunningNote } from "./running-note";
import { useJobInAddress } from "./use-job-in-address";

const MODEL = "encoder-synthetic-minilm";
/** Values of the vector shown (of 384); copy or download gives them all. */
const SHOWN_VALUES = 8;
/** The page's address keeps the job as `?embed=<id>`: a reload mid-job picks it up again. */
const PARAM = "embed";

type Status =
  | { kind: "idle" }
  | { kind: "running"; message: string }
  | { kind: "done"; jobId: string; vector: number[] }
  | { kind: "error"; outcome: Extract<JobOutcome, { ok: false }> };

/** The whole vector: copied as JSON, or downloaded as a .json file. */
function VectorActions({ jobId, vector }: { jobId: string; vector: number[] }) {
  const [note, setNote] = useState<string | null>(null);
  const text = JSON.stringify(vector);
  return (
    <div className="my-2 flex flex-wrap items-center gap-3">
      <Button
        type="button"
        variant="secondary"
        size="sm"
        onClick={() =>
          navigator.clipboard.writeText(text).then(
            () => setNote(`Copied all ${vector.length} values.`),
            () => setNote("The browser did not allow copying: use Download instead."),
          )
        }
      >
        Copy the vector
      </Button>
      <Button
        type="button"
        variant="secondary"
        size="sm"
        onClick={() => {
          const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
          const a = document.createElement("a");
          a.href = url;
          a.download = `embedding-${jobId}.json`;
          a.click();
          setTimeout(() => URL.revokeObjectURL(url), 10_000);
          setNote("Downloaded.");
        }}
      >
        Download (JSON)
      </Button>
      <output className="text-sm text-muted">{note}</output>
    </div>
  );
}

/** Type text, embed it as a job of the active organisation, and see the vector's norm and first values. */
export function EmbeddingPlayground() {
  const [status, setStatus] = useState<Status>({ kind: "idle" });
  const [textError, setTextError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  useJobInAddress(PARAM, abort, {
    running: (message) => setStatus({ kind: "running", message }),
    done: (id, job) => setStatus({ kind: "done", jobId: id, vector: (job.output as EncoderOutput).vectors[0] ?? [] }),
    failed: (outcome) => setStatus({ kind: "error", outcome }),
  });

  async function run(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const text = String(new FormData(e.currentTarget).get("text") ?? "").trim();
    if (!text) return setTextError("Type some text first.");
    if (text.length > LIMITS.textMaxChars) return setTextError(`At most ${LIMITS.textMaxChars} characters.`);
    setTextError(null);
    abort.current?.abort();
    const ctrl = new AbortController();
    abort.current = ctrl;
    keepJobInAddress(PARAM, null);
    setStatus({ kind: "running", message: "Submitting…" });
    const outcome = await runJob({
      model: MODEL,
      input: { text },
      signal: ctrl.signal,
      onState: (s) => setStatus({ kind: "running", message: `Job ${s}…` }),
      onCreated: (id) => keepJobInAddress(PARAM, id),
    });
    if (ctrl.signal.aborted) return;
    if (!outcome.ok) return setStatus({ kind: "error", outcome });
    const vector = (outcome.job.output as EncoderOutput).vectors[0] ?? [];
    setStatus({ kind: "done", jobId: outcome.job.id, vector });
  }

  const busy = status.kind === "running";
  const norm = status.kind === "done" ? Math.sqrt(status.vector.reduce((s, v) => s + v * v, 0)) : 0;
  return (
    <div className="grid min-w-0 grid-cols-[minmax(0,1fr)] gap-4">
      <form onSubmit={run} className="grid gap-4" aria-label="Embed text">
        <Field>
          <Label htmlFor="embed-text">Text</Label>
          <Textarea
            id="embed-text"
            name="text"
            rows={3}
            maxLength={LIMITS.textMaxChars}
            onChange={() => {
              setTextError(null);
              setStatus((st) => (st.kind === "error" ? { kind: "idle" } : st));
            }}
            aria-describedby="embed-text-hint"
            aria-invalid={textError ? true : undefined}
            aria-errormessage={textError ? "embed-text-error" : undefined}
          />
          <FieldHint id="embed-text-hint">
            Up to {LIMITS.textMaxChars} characters; the model reads the first {LIMITS.encoderMaxTokens} word pieces.
          </FieldHint>
          {textError ? (
            <FieldError id="embed-text-error" role="alert">
              {textError}
            </FieldError>
          ) : null}
        </Field>
        <div>
          <Button type="submit" disabled={busy} aria-busy={busy}>
            {busy ? "Embedding…" : "Embed the text"}
          </Button>
        </div>
      </form>
      <div aria-live="polite">
        {status.kind === "running" ? <RunningNote message={status.message} /> : null}
        {status.kind === "error" ? <JobProblem outcome={status.outcome} /> : null}
        {status.kind === "done" ? (
          <div data-testid="embedding-result">
            <StatList aria-label="Embedding" className="mt-0">
              <Stat label="Dimensions" value={status.vector.length} />
              <Stat label="Norm (L2)" value={norm.toFixed(4)} data-stat="norm" />
            </StatList>
            <p className="font-mono text-[13px] [overflow-wrap:anywhere]">
              First {SHOWN_VALUES} values: [
              {status.vector
                .slice(0, SHOWN_VALUES)
                .map((v) => v.toFixed(4))
                .join(", ")}
              , …]
            </p>
            <VectorActions jobId={status.jobId} vector={status.vector} />
            <JobLink id={status.jobId} />
          </div>
        ) : null}
      </div>
    </div>
  );
}
