"use client";

import { type EncoderOutput, LIMITS } from "@proofgrid/models/model-schemas";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Field, FieldError, FieldHint, Label, Textarea } from "~/components/ui/field";
import { Stat, StatList } from "~/components/ui/stat";
import { JobLink } from "./job-link";
import { RunningNote } from "./running-note";
import { runJob } from "./run-job";

const MODEL = "encoder-synthetic-minilm";
/** Values of the vector shown (of 384). */
const SHOWN_VALUES = 8;

type Status =
  | { kind: "idle" }
  | { kind: "running"; message: string }
  | { kind: "done"; jobId: string; vector: number[] }
  | { kind: "error"; message: string; jobId?: string };

/** Type text, embed it as a job of the active organisation, and see the vector's norm and first values. */
export function EmbeddingPlayground() {
  const [status, setStatus] = useState<Status>({ kind: "idle" });
  const [textError, setTextError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  async function run(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const text = String(new FormData(e.currentTarget).get("text") ?? "").trim();
    if (!text) return setTextError("Type some text first.");
    if (text.length > LIMITS.textMaxChars) return setTextError(`At most ${LIMITS.textMaxChars} characters.`);
    setTextError(null);
    abort.current?.abort();
    const ctrl = new AbortController();
    abort.current = ctrl;
    setStatus({ kind: "running", message: "Submitting…" });
    const outcome = await runJob({
      model: MODEL,
      input: { text },
      signal: ctrl.signal,
      onState: (s) => setStatus({ kind: "running", message: `Job ${s}…` }),
    });
    if (ctrl.signal.aborted) return;
    if (!outcome.ok) return setStatus({ kind: "error", message: outcome.message, jobId: outcome.jobId });
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
        {status.kind === "error" ? (
          <>
            <Alert>{status.message}</Alert>
            {status.jobId ? <JobLink id={status.jobId} /> : null}
          </>
        ) : null}
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
            <JobLink id={status.jobId} />
          </div>
        ) : null}
      </div>
    </div>
  );
}
