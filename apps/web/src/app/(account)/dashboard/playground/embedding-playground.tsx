"use client";

import { type EncoderOutput, LIMITS } from "@proofgrid/models/model-schemas";
import { type FormEvent, useEffect, useRef, useState } from "react";
import styles from "../../account.module.css";
import { JobLink } from "./job-link";
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
    <div style={{ display: "grid", gap: 16, gridTemplateColumns: "minmax(0, 1fr)" }}>
      <form onSubmit={run} className={`${styles.card} ${styles.form}`} aria-label="Embed text">
        <div className={styles.field}>
          <label htmlFor="embed-text" className={styles.label}>
            Text
          </label>
          <textarea
            id="embed-text"
            name="text"
            rows={3}
            maxLength={LIMITS.textMaxChars}
            className={styles.input}
            aria-describedby="embed-text-hint"
            aria-invalid={textError ? true : undefined}
            aria-errormessage={textError ? "embed-text-error" : undefined}
          />
          <span id="embed-text-hint" className={styles.hint}>
            Up to {LIMITS.textMaxChars} characters; the model reads the first {LIMITS.encoderMaxTokens} word pieces.
          </span>
          {textError ? (
            <p id="embed-text-error" role="alert" className={styles.error}>
              {textError}
            </p>
          ) : null}
        </div>
        <div>
          <button type="submit" className={styles.button} disabled={busy}>
            {busy ? "Embedding…" : "Embed the text"}
          </button>
        </div>
      </form>
      <div aria-live="polite">
        {status.kind === "running" ? <output className={styles.muted}>{status.message}</output> : null}
        {status.kind === "error" ? (
          <>
            <p role="alert" className={styles.alert}>
              {status.message}
            </p>
            {status.jobId ? <JobLink id={status.jobId} /> : null}
          </>
        ) : null}
        {status.kind === "done" ? (
          <div data-testid="embedding-result">
            <ul className={styles.stats} aria-label="Embedding">
              <li className={styles.stat}>
                <div className={styles.statLabel}>Dimensions</div>
                <div className={styles.statValue}>{status.vector.length}</div>
              </li>
              <li className={styles.stat}>
                <div className={styles.statLabel}>Norm (L2)</div>
                <div className={styles.statValue} data-stat="norm">
                  {norm.toFixed(4)}
                </div>
              </li>
            </ul>
            <p className={styles.mono} style={{ overflowWrap: "anywhere" }}>
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
