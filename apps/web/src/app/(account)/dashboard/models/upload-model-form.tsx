"use client";

import { IMAGENET, type Postprocessing, type Preprocessing, PROCESSING_LIMITS } from "@proofgrid/models/custom/processing";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useRef, useState } from "react";
import { Upload } from "tus-js-client";
import { formatBytes, formatCu } from "~/app/explorer/model-format";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Field, FieldHint, FileInput, Input, Label, Select, Textarea } from "~/components/ui/field";
import { ORG_HEADER } from "~/server/api/org-header";
import { useTRPC } from "../trpc-provider";
import { DASHBOARD_UPLOADS_PATH } from "./uploads/upload-path";

// Upload, then registration: the bytes go over tus (resumable: a dropped connection, or the
// same file picked again after a reload, goes on from the last byte the server holds) to the
// dashboard's own tus route, which takes the session; the finished upload is then registered
// over tRPC, which validates it and runs it once in the sandbox, and the result or the
// reason for a refusal is shown here.

/** Each PATCH carries at most this much: requests to /dashboard pass through the proxy
 * (src/proxy.ts), which reads at most 10 MB of a body, and smaller pieces lose less to a drop. */
const CHUNK_BYTES = 4 * 1024 * 1024;

type Phase =
  | { step: "idle" }
  | { step: "uploading" }
  | { step: "validating" }
  | { step: "accepted" }
  | { step: "paused" }
  | { step: "failed"; message: string };

/** Bytes the server holds of the file being uploaded. */
type Progress = { sent: number; total: number };

const PAUSED = new Error("paused");

/** What a job sends for each input processing, in the words of the API. */
const PREPROCESSING_HINT: Record<Preprocessing, string> = {
  raw: 'Jobs send the model\'s input tensors as they are: {"inputs": [...]}.',
  image:
    'Jobs send {"image": base64 PNG, JPEG or WebP}; it is scaled to the model\'s input height and width and written as float32 [1, C, H, W], (pixel / 255 − mean) / std, RGB (grey for one channel). The input must be one float32 tensor with fixed C (1 or 3), H and W.',
  text: 'Jobs send {"text": "…"}; it becomes BERT WordPiece token ids (uncased, [CLS] … [SEP]), with the attention mask and token types when the model takes them. The inputs must be int64 or int32 [1, tokens].',
};

const POSTPROCESSING_HINT: Record<Postprocessing, string> = {
  raw: "A job's result is the model's output tensors.",
  softmax: "A job's result adds the first output's scores as probabilities over its last axis (result.probabilities).",
  labels: `A job's result adds the ${PROCESSING_LIMITS.topK} most probable classes of the first output, by name (result.top).`,
};

/** A comma-separated list of 1 or 3 numbers; empty is the default (undefined); else why not. */
function parseChannels(raw: string, what: string): number[] | undefined | string {
  const text = raw.trim();
  if (!text) return undefined;
  const values = text.split(",").map((v) => v.trim());
  const numbers = values.map(Number);
  if (values.some((v) => v === "") || numbers.some((n) => !Number.isFinite(n))) {
    return `The ${what} is numbers separated by commas, e.g. 0.5, 0.5, 0.5.`;
  }
  if (numbers.length !== 1 && numbers.length !== 3) {
    return `The ${what} has one number per channel: 1 (grey) or 3 (RGB); it has ${numbers.length}.`;
  }
  return numbers;
}

/** The class names, one per line: trimmed, empty lines dropped; or why they cannot be sent. */
function parseLabels(raw: string): string[] | string {
  const labels = raw
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (labels.length === 0) return "Top classes needs the class labels: one name per line, in the order of the model's output.";
  if (labels.length > PROCESSING_LIMITS.maxLabels) {
    return `At most ${PROCESSING_LIMITS.maxLabels} class labels; there are ${labels.length}.`;
  }
  const long = labels.findIndex((l) => l.length > PROCESSING_LIMITS.maxLabelChars);
  if (long >= 0) return `Class label ${long + 1} is longer than ${PROCESSING_LIMITS.maxLabelChars} characters.`;
  return labels;
}

type ProcessingRequest = {
  dimBounds?: Record<string, number>;
  preprocessing: Preprocessing;
  postprocessing: Postprocessing;
  mean?: number[];
  std?: number[];
  labels?: string[];
};

/** "batch=1, seq=128" → { batch: 1, seq: 128 }; undefined when empty; the reason when it cannot be read. */
function parseDimBounds(raw: string): Record<string, number> | undefined | string {
  const parts = raw
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (parts.length === 0) return undefined;
  const bounds: Record<string, number> = {};
  for (const part of parts) {
    const m = /^([^=\s]{1,100})\s*=\s*([0-9]{1,9})$/.exec(part);
    if (!m || Number(m[2]) < 1)
      return `Write each dynamic dimension as name=largest size, e.g. batch=1, seq=128 ("${part.slice(0, 40)}" is not).`;
    bounds[m[1] as string] = Number(m[2]);
  }
  return bounds;
}

/** The form's processing fields as the registration takes them, or the reason they cannot be sent. */
function processingRequest(form: FormData, preprocessing: Preprocessing, postprocessing: Postprocessing): ProcessingRequest | string {
  const request: ProcessingRequest = { preprocessing, postprocessing };
  const bounds = parseDimBounds(String(form.get("dimBounds") ?? ""));
  if (typeof bounds === "string") return bounds;
  if (bounds) request.dimBounds = bounds;
  if (preprocessing === "image") {
    const mean = parseChannels(String(form.get("mean") ?? ""), "mean");
    if (typeof mean === "string") return mean;
    const std = parseChannels(String(form.get("std") ?? ""), "standard deviation");
    if (typeof std === "string") return std;
    // The registration's bounds (ZModelOptions), said here in words rather than as its validation error.
    if (mean?.some((v) => v < -10 || v > 10)) return "The mean's values must lie between -10 and 10.";
    if (std?.some((v) => !(v >= 1e-6 && v <= 10))) return "The standard deviation's values must be above 0 and at most 10.";
    if (mean) request.mean = mean;
    if (std) request.std = std;
  }
  if (postprocessing === "labels") {
    const labels = parseLabels(String(form.get("labels") ?? ""));
    if (typeof labels === "string") return labels;
    request.labels = labels;
  }
  return request;
}

/** What the server said in its JSON error shape, else tus-js-client's own message. */
function uploadError(err: Error): string {
  const res = (err as Error & { originalResponse?: { getStatus(): number; getBody(): string } | null }).originalResponse;
  if (res) {
    try {
      const body = JSON.parse(res.getBody()) as { error?: { message?: string } };
      if (body.error?.message) return body.error.message;
    } catch {
      // not JSON: fall through
    }
    return `the upload was refused (HTTP ${res.getStatus()})`;
  }
  return `the upload stopped: ${err.message.split("\n")[0]}`;
}

export function UploadModelForm({ orgId, maxBytes }: { orgId: string; maxBytes: number }) {
  const trpc = useTRPC();
  const router = useRouter();
  const register = useMutation(trpc.customModels.register.mutationOptions({ onSuccess: () => router.refresh() }));
  const [phase, setPhase] = useState<Phase>({ step: "idle" });
  const [progress, setProgress] = useState<Progress | null>(null);
  const [name, setName] = useState("");
  const [preprocessing, setPreprocessing] = useState<Preprocessing>("raw");
  const [postprocessing, setPostprocessing] = useState<Postprocessing>("raw");
  /** The upload under way, and how to stop it: abort, then settle its promise as paused. */
  const pause = useRef<(() => void) | null>(null);
  const busy = phase.step === "uploading" || phase.step === "validating";

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const file = form.get("file");
    const visibility = form.get("visibility") === "public" ? "public" : "private";
    setProgress(null);
    if (!(file instanceof File) || file.size === 0) {
      setPhase({ step: "failed", message: "Choose an .onnx file first." });
      return;
    }
    if (file.size > maxBytes) {
      setPhase({ step: "failed", message: `The file is ${formatBytes(file.size)}; an upload may be at most ${formatBytes(maxBytes)}.` });
      return;
    }
    // Checked before the upload: a typo here should not cost the upload's time.
    const processing = processingRequest(form, preprocessing, postprocessing);
    if (typeof processing === "string") {
      setPhase({ step: "failed", message: processing });
      return;
    }
    register.reset();
    const modelName = name.trim() || file.name.replace(/\.onnx$/i, "");
    setPhase({ step: "uploading" });
    setProgress({ sent: 0, total: file.size });
    let uploadId: string;
    try {
      uploadId = await new Promise<string>((resolve, reject) => {
        const u = new Upload(file, {
          endpoint: DASHBOARD_UPLOADS_PATH,
          chunkSize: CHUNK_BYTES,
          retryDelays: [0, 1_000, 3_000, 10_000],
          metadata: { filename: file.name },
          headers: { [ORG_HEADER]: orgId },
          removeFingerprintOnSuccess: true,
          onProgress: (sent, total) => setProgress({ sent, total }),
          onSuccess: () => resolve(u.url?.split("/").at(-1) ?? ""),
          onError: reject,
        });
        pause.current = () => {
          void u.abort();
          reject(PAUSED);
        };
        // The same file picked again (after a reload, say) goes on where it stopped.
        void u
          .findPreviousUploads()
          .then((previous) => {
            const last = previous[0];
            if (last) u.resumeFromPreviousUpload(last);
          })
          .catch(() => undefined)
          .finally(() => u.start());
      });
    } catch (err) {
      setPhase(
        err === PAUSED ? { step: "paused" } : { step: "failed", message: uploadError(err instanceof Error ? err : new Error(String(err))) },
      );
      return;
    } finally {
      pause.current = null;
    }
    setProgress({ sent: file.size, total: file.size });
    setPhase({ step: "validating" });
    try {
      await register.mutateAsync({ uploadId, name: modelName, visibility, ...processing });
      setPhase({ step: "accepted" });
    } catch (err) {
      setPhase({ step: "failed", message: err instanceof Error ? err.message : "The registration failed; try again." });
    }
  }

  const model = register.data?.model;
  const percent = progress ? Math.floor((progress.sent / Math.max(1, progress.total)) * 100) : 0;
  return (
    <div className="grid gap-4">
      {progress ? (
        <div className="grid gap-1" data-testid="upload-progress" data-percent={percent}>
          <progress className="h-2 w-full" value={progress.sent} max={Math.max(1, progress.total)} aria-label="Upload progress" />
          <output className="text-sm" aria-live="polite">
            {progress.sent < progress.total
              ? `Uploading: ${formatBytes(progress.sent)} of ${formatBytes(progress.total)} (${percent} %)`
              : `Uploaded ${formatBytes(progress.total)} (100 %).`}
            {phase.step === "validating" ? " Checking the model and running it once in the sandbox…" : null}
          </output>
        </div>
      ) : null}
      {phase.step === "failed" ? (
        <Alert title="The model was not accepted" data-testid="upload-refused">
          {phase.message}
        </Alert>
      ) : null}
      {phase.step === "paused" ? (
        <Alert tone="info" title="Upload paused">
          Upload the same file again to go on from where it stopped.
        </Alert>
      ) : null}
      {phase.step === "accepted" && model ? (
        <Alert tone="success" title={register.data?.status === 201 ? "Model accepted" : "Already uploaded"} data-testid="upload-accepted">
          {model.name} (<code>{model.id.slice(0, 12)}</code>): {formatBytes(model.custom.fileBytes)}, {formatCu(model.baseCostMilliCu)} per
          run, {model.custom.deterministic ? "deterministic" : "non-deterministic (its results are compared with a widened tolerance)"},{" "}
          {model.custom.visibility}.
        </Alert>
      ) : null}
      <form className="grid gap-4" onSubmit={submit}>
        <Field>
          <Label htmlFor="model-file">ONNX file</Label>
          <FileInput
            id="model-file"
            name="file"
            accept=".onnx,application/octet-stream"
            required
            disabled={busy}
            onChange={(e) => {
              const f = e.currentTarget.files?.[0];
              if (f && !name) setName(f.name.replace(/\.onnx$/i, "").slice(0, 100));
            }}
          />
          <FieldHint>
            Up to {formatBytes(maxBytes)}, sent in resumable pieces. The API takes the same uploads:{" "}
            <code>POST /api/v1/models/uploads</code>.
          </FieldHint>
        </Field>
        <Field>
          <Label htmlFor="model-name">Name</Label>
          <Input
            id="model-name"
            name="name"
            maxLength={100}
            required
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            disabled={busy}
          />
        </Field>
        <Field>
          <Label htmlFor="model-visibility">Visibility</Label>
          <Select id="model-visibility" name="visibility" defaultValue="private" disabled={busy}>
            <option value="private">Private: your organisation only</option>
            <option value="public">Public: listed on the market for everyone</option>
          </Select>
        </Field>
        <Field>
          <Label htmlFor="model-dim-bounds">Largest size of each dynamic dimension (if the model has any)</Label>
          <Input
            id="model-dim-bounds"
            name="dimBounds"
            placeholder="batch=1, seq=128"
            aria-describedby="model-dim-bounds-hint"
            disabled={busy}
          />
          <FieldHint id="model-dim-bounds-hint">
            An axis the model leaves open (a batch size, a sequence length) needs a largest size, by the name the model gives it: the model
            is checked and priced at that size. The refusal names any that are missing.
          </FieldHint>
        </Field>
        <Field>
          <Label htmlFor="model-preprocessing">Input processing</Label>
          <Select
            id="model-preprocessing"
            name="preprocessing"
            aria-describedby="model-preprocessing-hint"
            value={preprocessing}
            onChange={(e) => setPreprocessing(e.currentTarget.value as Preprocessing)}
            disabled={busy}
          >
            <option value="raw">Tensors as sent</option>
            <option value="image">Image → normalised tensor</option>
            <option value="text">Text → tokens</option>
          </Select>
          <FieldHint id="model-preprocessing-hint">{PREPROCESSING_HINT[preprocessing]}</FieldHint>
        </Field>
        {preprocessing === "image" ? (
          <div className="grid gap-4 sm:grid-cols-2">
            <Field>
              <Label htmlFor="model-mean">Mean per channel (optional)</Label>
              <Input
                id="model-mean"
                name="mean"
                inputMode="decimal"
                autoComplete="off"
                placeholder="e.g. 0.5, 0.5, 0.5"
                aria-describedby="model-normalisation-hint"
                disabled={busy}
              />
            </Field>
            <Field>
              <Label htmlFor="model-std">Standard deviation per channel (optional)</Label>
              <Input
                id="model-std"
                name="std"
                inputMode="decimal"
                autoComplete="off"
                placeholder="e.g. 0.5, 0.5, 0.5"
                aria-describedby="model-normalisation-hint"
                disabled={busy}
              />
            </Field>
            <FieldHint id="model-normalisation-hint" className="sm:col-span-2">
              Comma-separated, of pixels scaled to 0–1: one number per channel (3 for RGB, 1 for grey). Empty means the defaults:
              ImageNet&apos;s for RGB (mean {IMAGENET.mean.join(", ")}; std {IMAGENET.std.join(", ")}), mean 0 and std 1 for grey.
            </FieldHint>
          </div>
        ) : null}
        <Field>
          <Label htmlFor="model-postprocessing">Output processing</Label>
          <Select
            id="model-postprocessing"
            name="postprocessing"
            aria-describedby="model-postprocessing-hint"
            value={postprocessing}
            onChange={(e) => setPostprocessing(e.currentTarget.value as Postprocessing)}
            disabled={busy}
          >
            <option value="raw">Raw tensors</option>
            <option value="softmax">Probabilities (softmax)</option>
            <option value="labels">Top classes with labels</option>
          </Select>
          <FieldHint id="model-postprocessing-hint">{POSTPROCESSING_HINT[postprocessing]}</FieldHint>
        </Field>
        {postprocessing === "labels" ? (
          <Field>
            <Label htmlFor="model-labels">Class labels, one per line</Label>
            <Textarea
              id="model-labels"
              name="labels"
              rows={5}
              required
              aria-describedby="model-labels-hint"
              placeholder={"cat\ndog\nbird"}
              disabled={busy}
            />
            <FieldHint id="model-labels-hint">
              In the order of the model&apos;s output: the first line names class 0. Empty lines are left out.
            </FieldHint>
          </Field>
        ) : null}
        <div className="flex flex-wrap gap-2">
          <Button type="submit" disabled={busy} aria-busy={busy}>
            {phase.step === "uploading" ? "Uploading…" : phase.step === "validating" ? "Checking…" : "Upload and check"}
          </Button>
          {phase.step === "uploading" ? (
            <Button
              type="button"
              variant="ghost"
              // Stops sending; the same file uploaded again goes on from what the server holds.
              onClick={() => pause.current?.()}
            >
              Pause
            </Button>
          ) : null}
        </div>
      </form>
    </div>
  );
}
