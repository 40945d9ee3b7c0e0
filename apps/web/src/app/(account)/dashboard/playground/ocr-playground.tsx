"use client";

import { LIMITS, type OcrOutput } from "@proofgrid/models/model-schemas";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { Button } from "~/components/ui/button";
import { Field, FieldError, FieldHint, FileInput, Label } from "~/components/ui/field";
import { JobLink } from "./job-link";
import { JobProblem } from "./job-problem";
import { OcrResult } from "./ocr-result";
import { type JobOutcome, keepJobInAddress, runJob } from "./run-job";
import { useJobInAddress } from "./use-job-in-address";
import { RunningNote } from "./running-note";
import { trpcQuery } from "./trpc-fetch";

const MODEL = "ocr-ppocr-v4";
/** The page's address keeps the job as `?ocr=<id>`: a reload mid-job picks it up again. */
const PARAM = "ocr";

type Status =
  | { kind: "idle" }
  | { kind: "running"; message: string }
  | { kind: "done"; jobId: string; src: string | null; output: OcrOutput }
  | { kind: "error"; outcome: Extract<JobOutcome, { ok: false }> };

function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error ?? new Error("could not read the file"));
    reader.readAsDataURL(file);
  });
}

/** The job's own input image (after a reload the uploaded file is gone), or null when too large to preview. */
async function inputImage(id: string, signal: AbortSignal): Promise<string | null> {
  const preview = await trpcQuery<{ kind: string; dataUrl?: string }>("jobs.inputPreview", { id }, signal).catch(() => null);
  return preview?.kind === "image" && preview.dataUrl ? preview.dataUrl : null;
}

/** Upload an image, run it as an OCR job in the active organisation, and draw what was read. */
export function OcrPlayground() {
  const [status, setStatus] = useState<Status>({ kind: "idle" });
  const [fileError, setFileError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const srcRef = useRef<string | null>(null);
  const resultRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => () => abort.current?.abort(), []);
  useEffect(() => {
    if (status.kind === "done" || status.kind === "error") resultRef.current?.focus();
  }, [status.kind]);

  useJobInAddress(PARAM, abort, {
    running: (message) => setStatus({ kind: "running", message }),
    done: async (id, job, signal) =>
      setStatus({ kind: "done", jobId: id, src: await inputImage(id, signal), output: job.output as OcrOutput }),
    failed: (outcome) => setStatus({ kind: "error", outcome }),
  });

  /** Another file chosen: what was said about the last one no longer applies. */
  function fileChosen() {
    setFileError(null);
    setStatus((s) => (s.kind === "error" ? { kind: "idle" } : s));
  }

  async function run(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const file = (new FormData(e.currentTarget).get("image") as File | null) ?? null;
    if (!file || file.size === 0) return setFileError("Choose an image first.");
    if (!/^image\/(png|jpeg|webp)$/.test(file.type)) return setFileError("Choose a PNG, JPEG or WebP image.");
    if (file.size > LIMITS.imageMaxBytes) return setFileError(`The image is too large: at most ${LIMITS.imageMaxBytes / 1024 / 1024} MiB.`);
    setFileError(null);
    abort.current?.abort();
    const ctrl = new AbortController();
    abort.current = ctrl;
    if (srcRef.current) URL.revokeObjectURL(srcRef.current);
    const src = URL.createObjectURL(file);
    srcRef.current = src;
    keepJobInAddress(PARAM, null);
    setStatus({ kind: "running", message: "Uploading…" });
    const image = await readAsBase64(file).catch(() => null);
    if (image === null) {
      return setStatus({ kind: "error", outcome: { ok: false, created: false, message: "The file could not be read. Choose it again." } });
    }
    const outcome = await runJob({
      model: MODEL,
      input: { image },
      signal: ctrl.signal,
      onState: (state) => setStatus({ kind: "running", message: `Job ${state}…` }),
      onCreated: (id) => keepJobInAddress(PARAM, id),
    });
    if (ctrl.signal.aborted) return;
    if (!outcome.ok) return setStatus({ kind: "error", outcome });
    setStatus({ kind: "done", jobId: outcome.job.id, src, output: outcome.job.output as OcrOutput });
  }

  const busy = status.kind === "running";
  return (
    <div className="grid min-w-0 grid-cols-[minmax(0,1fr)] gap-4">
      <form onSubmit={run} className="grid gap-4" aria-label="Run OCR">
        <Field>
          <Label htmlFor="ocr-image">Image</Label>
          <FileInput
            id="ocr-image"
            name="image"
            accept="image/png,image/jpeg,image/webp"
            onChange={fileChosen}
            aria-describedby="ocr-image-hint"
            aria-invalid={fileError ? true : undefined}
            aria-errormessage={fileError ? "ocr-image-error" : undefined}
          />
          <FieldHint id="ocr-image-hint">
            PNG, JPEG or WebP, at most 4 MiB and {LIMITS.imageMaxSidePx} px per side. Runs as a job of this organisation and costs credits.
          </FieldHint>
          {fileError ? (
            <FieldError id="ocr-image-error" role="alert">
              {fileError}
            </FieldError>
          ) : null}
        </Field>
        <div>
          <Button type="submit" disabled={busy} aria-busy={busy}>
            {busy ? "Reading…" : "Read the text"}
          </Button>
        </div>
      </form>
      <div aria-live="polite">{status.kind === "running" ? <RunningNote message={status.message} /> : null}</div>
      {status.kind === "error" ? <JobProblem outcome={status.outcome} headingRef={resultRef} /> : null}
      {status.kind === "done" ? (
        <div>
          <h3 className="mb-2 text-base font-semibold" ref={resultRef} tabIndex={-1}>
            Result
          </h3>
          <OcrResult src={status.src} output={status.output} />
          <JobLink id={status.jobId} />
        </div>
      ) : null}
    </div>
  );
}
