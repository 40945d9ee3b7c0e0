"use client";

import { useState } from "react";
import { Button } from "~/components/ui/button";
import { trpcQuery } from "../../playground/trpc-fetch";

/**
 * Copy the job's whole output, or download it as a JSON file. Fetched on click, not put in
 * the page: an output can be megabytes (a batch of embeddings).
 */
export function OutputActions({ jobId, orgId }: { jobId: string; orgId: string }) {
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function outputText(): Promise<string | null> {
    setBusy(true);
    try {
      const job = await trpcQuery<{ output?: unknown }>("jobs.get", { id: jobId }, undefined, orgId);
      return JSON.stringify(job.output ?? null);
    } catch {
      setNote("The output could not be fetched. Reload the page and try again.");
      return null;
    } finally {
      setBusy(false);
    }
  }

  async function copy() {
    const text = await outputText();
    if (text === null) return;
    try {
      await navigator.clipboard.writeText(text);
      setNote(`Copied ${text.length.toLocaleString("en")} characters of JSON.`);
    } catch {
      setNote("The browser did not allow copying: use Download instead.");
    }
  }

  async function download() {
    const text = await outputText();
    if (text === null) return;
    const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `job-${jobId}-output.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setNote("Downloaded.");
  }

  return (
    <div className="my-2 flex flex-wrap items-center gap-3">
      <Button type="button" variant="secondary" size="sm" onClick={copy} disabled={busy}>
        Copy output (JSON)
      </Button>
      <Button type="button" variant="secondary" size="sm" onClick={download} disabled={busy}>
        Download output (JSON)
      </Button>
      <output className="text-sm text-muted" aria-live="polite">
        {note}
      </output>
    </div>
  );
}
