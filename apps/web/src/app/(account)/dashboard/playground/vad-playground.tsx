"use client";

import { AUDIO_MAX_BYTES, type VadOutput } from "@proofgrid/models/model-schemas";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Field, FieldError, FieldHint, FileInput, Label } from "~/components/ui/field";
import { Muted } from "~/components/ui/typography";
import { JobLink } from "./job-link";
import { JobProblem } from "./job-problem";
import { MAX_RECORDING_MS, type Recording, startRecording, toWav16kMono } from "./microphone";
import { type JobOutcome, keepJobInAddress, runJob } from "./run-job";
import { useJobInAddress } from "./use-job-in-address";
import { RunningNote } from "./running-note";
import { takenAsIs, type Waveform, wavePeaks, wavFormat } from "./waveform";

const MODEL = "vad-silero-v5";
const HEIGHT = 80;
/** The page's address keeps the job as `?vad=<id>`: a reload mid-job picks it up again. */
const PARAM = "vad";
/**
 * Files decoded in the browser before resampling: 10 minutes of 48 kHz stereo 24-bit is
 * 173 MB. Past this a file is refused before it is read (the job's own limit is 10 minutes).
 */
const UPLOAD_MAX_BYTES = 200 * 1024 * 1024;

type Status =
  | { kind: "idle" }
  | { kind: "running"; message: string }
  | { kind: "done"; jobId: string; wave: Waveform | null; output: VadOutput; note?: string }
  | { kind: "error"; outcome: Extract<JobOutcome, { ok: false }> };

function toBase64(bytes: ArrayBuffer): string {
  const u8 = new Uint8Array(bytes);
  let bin = "";
  // In slices: String.fromCharCode(...all) overflows the call stack on long audio.
  for (let i = 0; i < u8.length; i += 0x8000) bin += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** Upload a WAV, run voice activity detection as a job, and see the speech on the waveform. */
export function VadPlayground() {
  const [status, setStatus] = useState<Status>({ kind: "idle" });
  const [fileError, setFileError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const [recording, setRecording] = useState<Recording | null>(null);
  const [micError, setMicError] = useState<string | null>(null);
  // Leaving the page while recording turns the microphone off.
  const live = useRef<Recording | null>(null);
  live.current = recording;
  useEffect(() => () => live.current?.cancel(), []);

  useJobInAddress(PARAM, abort, {
    running: (message) => setStatus({ kind: "running", message }),
    // The upload is gone after a reload: the segments are drawn without the waveform.
    done: (id, job) => setStatus({ kind: "done", jobId: id, wave: null, output: job.output as VadOutput }),
    failed: (outcome) => setStatus({ kind: "error", outcome }),
  });

  /** Another file chosen: what was said about the last one no longer applies. */
  function fileChosen() {
    setFileError(null);
    setStatus((s) => (s.kind === "error" ? { kind: "idle" } : s));
  }

  async function run(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const file = (new FormData(e.currentTarget).get("audio") as File | null) ?? null;
    if (!file || file.size === 0) return setFileError("Choose a WAV file first, or record from the microphone.");
    if (file.size > UPLOAD_MAX_BYTES) return setFileError("The file is too large: at most 10 minutes of audio.");
    setFileError(null);
    const bytes = await file.arrayBuffer();
    const format = wavFormat(bytes);
    if (takenAsIs(format)) return detect(bytes);
    // Another rate, stereo, 8/24-bit: resampled to 16 kHz mono here, as recordings are.
    setStatus({ kind: "running", message: "Resampling to 16 kHz mono…" });
    try {
      const resampled = await toWav16kMono(file);
      const from = format
        ? `${format.rate.toLocaleString("en")} Hz ${format.channels === 1 ? "mono" : `${format.channels} channels`}`
        : "its format";
      await detect(resampled, `Resampled in your browser from ${from} to 16 kHz mono.`);
    } catch (err) {
      setStatus({ kind: "idle" });
      setFileError(err instanceof Error ? err.message : String(err));
    }
  }

  const [starting, setStarting] = useState(false);

  async function toggleRecording() {
    setMicError(null);
    if (starting) return; // the permission prompt is still open
    if (!recording) {
      setStarting(true);
      try {
        setRecording(
          await startRecording(() => setMicError(`Recording stopped at ${MAX_RECORDING_MS / 1000} s: press “Stop and find the speech”.`)),
        );
      } catch (err) {
        setMicError(err instanceof Error ? err.message : String(err));
      } finally {
        setStarting(false);
      }
      return;
    }
    const r = recording;
    setRecording(null);
    try {
      setStatus({ kind: "running", message: "Preparing the recording…" });
      await detect(await r.stop());
    } catch (err) {
      setStatus({ kind: "idle" });
      setMicError(err instanceof Error ? err.message : String(err));
    }
  }

  async function detect(bytes: ArrayBuffer, note?: string) {
    abort.current?.abort();
    const ctrl = new AbortController();
    abort.current = ctrl;
    if (bytes.byteLength > AUDIO_MAX_BYTES) {
      setStatus({ kind: "idle" });
      return setFileError("The recording is too long: at most 10 minutes.");
    }
    keepJobInAddress(PARAM, null);
    setStatus({ kind: "running", message: "Uploading…" });
    const wave = wavePeaks(bytes);
    const outcome = await runJob({
      model: MODEL,
      input: { audio: toBase64(bytes) },
      signal: ctrl.signal,
      onState: (s) => setStatus({ kind: "running", message: `Job ${s}…` }),
      onCreated: (id) => keepJobInAddress(PARAM, id),
    });
    if (ctrl.signal.aborted) return;
    if (!outcome.ok) return setStatus({ kind: "error", outcome });
    setStatus({ kind: "done", jobId: outcome.job.id, wave, output: outcome.job.output as VadOutput, note });
  }

  const busy = status.kind === "running";
  return (
    <div className="grid min-w-0 grid-cols-[minmax(0,1fr)] gap-4">
      <form onSubmit={run} className="grid gap-4" aria-label="Detect speech">
        <Field>
          <Label htmlFor="vad-audio">Audio</Label>
          <FileInput
            id="vad-audio"
            name="audio"
            accept="audio/wav,audio/x-wav,.wav"
            onChange={fileChosen}
            aria-describedby="vad-audio-hint"
            aria-invalid={fileError ? true : undefined}
            aria-errormessage={fileError ? "vad-audio-error" : undefined}
          />
          <FieldHint id="vad-audio-hint">
            WAV, at most 10 minutes. The model takes 16 kHz mono: any other rate or stereo is resampled in your browser first.
          </FieldHint>
          {fileError ? (
            <FieldError id="vad-audio-error" role="alert">
              {fileError}
            </FieldError>
          ) : null}
        </Field>
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" disabled={busy || recording !== null} aria-busy={busy}>
            {busy ? "Listening…" : "Find the speech"}
          </Button>
          <span className="text-sm text-muted">or</span>
          <Button type="button" variant={recording ? "danger" : "secondary"} onClick={toggleRecording} disabled={busy || starting}>
            {recording ? "Stop and find the speech" : "Record from the microphone"}
          </Button>
          {recording ? (
            <output className="text-sm text-danger-ink">
              <span aria-hidden="true">● </span>Recording…
            </output>
          ) : null}
        </div>
        {micError ? <Alert>{micError}</Alert> : null}
      </form>
      <div aria-live="polite">
        {status.kind === "running" ? <RunningNote message={status.message} /> : null}
        {status.kind === "error" ? <JobProblem outcome={status.outcome} /> : null}
        {status.kind === "done" ? <VadResult jobId={status.jobId} wave={status.wave} output={status.output} note={status.note} /> : null}
      </div>
    </div>
  );
}

function VadResult({ jobId, wave, output, note }: { jobId: string; wave: Waveform | null; output: VadOutput; note?: string }) {
  const duration = output.durationSec || wave?.durationSec || 1;
  const cols = wave?.peaks.length ?? 600;
  const x = (sec: number) => (sec / duration) * cols;
  return (
    <div data-testid="vad-result">
      {note ? <Muted data-testid="vad-resampled">{note}</Muted> : null}
      <svg
        viewBox={`0 0 ${cols} ${HEIGHT}`}
        preserveAspectRatio="none"
        className="block w-full rounded-md border border-line bg-canvas"
        style={{ height: HEIGHT }}
        role="img"
        aria-label={`Waveform of ${duration.toFixed(1)} s with ${output.segments.length} speech segments highlighted`}
      >
        {output.segments.map((s) => (
          <rect
            key={s.start}
            data-segment=""
            x={x(s.start)}
            width={Math.max(1, x(s.end) - x(s.start))}
            y={0}
            height={HEIGHT}
            className="fill-accent/20"
          />
        ))}
        {wave ? (
          <path
            d={wave.peaks.map((p, i) => `M${i + 0.5} ${HEIGHT / 2 - (p * HEIGHT) / 2}V${HEIGHT / 2 + (p * HEIGHT) / 2}`).join("")}
            className="stroke-ink-soft"
            strokeWidth={1}
          />
        ) : null}
      </svg>
      <h3 className="mt-3 mb-1 text-base font-semibold" id="vad-segments-heading">
        Speech segments ({output.segments.length})
      </h3>
      {output.segments.length === 0 ? (
        <Muted>No speech found in {duration.toFixed(1)} s.</Muted>
      ) : (
        <ol aria-labelledby="vad-segments-heading" className="list-decimal pl-6 font-mono text-[13px]">
          {output.segments.map((s) => (
            <li key={s.start}>
              {s.start.toFixed(2)} s – {s.end.toFixed(2)} s
            </li>
          ))}
        </ol>
      )}
      <JobLink id={jobId} />
    </div>
  );
}
