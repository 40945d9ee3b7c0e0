"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useRef, useState } from "react";
import { Upload } from "tus-js-client";
import { formatBytes, formatCu } from "~/app/explorer/model-format";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Field, FieldHint, FileInput, Input, Label, Select } from "~/components/ui/field";
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
      await register.mutateAsync({ uploadId, name: modelName, visibility });
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
