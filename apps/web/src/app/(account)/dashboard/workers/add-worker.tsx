"use client";

import { useActionState, useEffect, useRef, useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Field, FieldHint, Label, Select } from "~/components/ui/field";
import { useFocusOnError } from "~/components/ui/use-focus-on-error";
import { WORKER_NODE_VERSION, workerCommands } from "~/server/services/nodes/worker-commands";
import { type AddWorkerState, addWorkerAction } from "./actions";

export interface RegionOption {
  id: string;
  name: string;
}

/** The three commands a provider runs on the machine, built from the one-time token. */
export function panelCommands(created: NonNullable<AddWorkerState["created"]>, region: string): string {
  const c = workerCommands({ platformUrl: created.platformUrl, token: created.token, region });
  return [c.install, c.register, c.start].join("\n");
}

export function AddWorker({ org, regions }: { org: string | undefined; regions: readonly RegionOption[] }) {
  const [state, action, pending] = useActionState<AddWorkerState, FormData>(addWorkerAction, {});
  const [region, setRegion] = useState(regions[0]?.id ?? "local");
  const [copied, setCopied] = useState(false);
  const errorRef = useFocusOnError(state);
  const commandsRef = useRef<HTMLPreElement>(null);
  useEffect(() => {
    setCopied(false);
    if (state.created) {
      setRegion(state.created.region);
      commandsRef.current?.focus();
    }
  }, [state]);

  const commands = state.created ? panelCommands(state.created, region) : "";
  const gpuInstall = state.created
    ? workerCommands({ platformUrl: state.created.platformUrl, token: state.created.token, region }).gpuInstall
    : "";
  async function copy() {
    try {
      await navigator.clipboard.writeText(commands);
      setCopied(true);
    } catch {
      // No clipboard permission (or no secure context): select the text for Ctrl+C.
      const el = commandsRef.current;
      if (el) window.getSelection()?.selectAllChildren(el);
    }
  }

  return (
    <div className="grid gap-4">
      <form className="grid gap-4" action={action}>
        {state.error ? (
          <Alert tabIndex={-1} ref={errorRef}>
            {state.error}
          </Alert>
        ) : null}
        <input type="hidden" name="org" value={org ?? ""} />
        <Field>
          <Label htmlFor="worker-region">Region of the machine</Label>
          <Select
            id="worker-region"
            className="sm:max-w-md"
            name="region"
            value={region}
            onChange={(e) => setRegion(e.target.value)}
            aria-describedby="worker-region-hint"
          >
            {regions.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name} ({r.id})
              </option>
            ))}
          </Select>
          <FieldHint id="worker-region-hint">Jobs go to the workers nearest their customers: pick where the machine really is.</FieldHint>
        </Field>
        <div>
          <Button type="submit" disabled={pending} aria-busy={pending}>
            {pending ? "Creating token…" : state.created ? "Add another worker" : "Add a worker"}
          </Button>
        </div>
      </form>
      {state.created ? (
        <Alert tone="success" role="region" aria-labelledby="worker-token-warning" className="grid gap-3 p-4 pl-5">
          <strong id="worker-token-warning">Run these on the machine. The token works once and is shown only now.</strong>
          <pre
            id="worker-commands"
            ref={commandsRef}
            tabIndex={-1}
            className="m-0 rounded-md bg-ink px-3.5 py-3 font-mono text-[13px] leading-relaxed whitespace-pre-wrap text-line [overflow-wrap:anywhere]"
          >
            {commands}
          </pre>
          <div className="flex flex-wrap items-center gap-3">
            <Button variant="secondary" onClick={copy}>
              {copied ? "Copied" : "Copy commands"}
            </Button>
            <FieldHint className="min-w-0 flex-1 text-success-ink">
              Token expires {state.created.expiresAt.slice(0, 16).replace("T", " ")} UTC. Needs Node.js {WORKER_NODE_VERSION} or newer and
              npm. The worker appears below as soon as it registers.
            </FieldHint>
          </div>
          <FieldHint id="worker-gpu-install" className="text-success-ink">
            On an NVIDIA GPU (Linux, CUDA 12 and cuDNN 9), install with this instead; the worker then runs on the GPU, or says why it cannot
            and runs on the CPU: <code className="font-mono text-[13px] [overflow-wrap:anywhere]">{gpuInstall}</code>
          </FieldHint>
        </Alert>
      ) : null}
    </div>
  );
}
