"use client";

import { useActionState, useEffect, useRef, useState } from "react";
import styles from "../../account.module.css";
import { type AddWorkerState, addWorkerAction } from "./actions";
import own from "./workers.module.css";

export interface RegionOption {
  id: string;
  name: string;
}

/** The two commands a provider runs on the machine, built from the one-time token. */
export function workerCommands(created: NonNullable<AddWorkerState["created"]>, region: string): string {
  return [
    `npx proofgrid-worker register --url ${created.platformUrl} --token ${created.token} --region ${region}`,
    "npx proofgrid-worker start",
  ].join("\n");
}

export function AddWorker({ org, regions }: { org: string | undefined; regions: readonly RegionOption[] }) {
  const [state, action, pending] = useActionState<AddWorkerState, FormData>(addWorkerAction, {});
  const [region, setRegion] = useState(regions[0]?.id ?? "local");
  const [copied, setCopied] = useState(false);
  const errorRef = useRef<HTMLParagraphElement>(null);
  const commandsRef = useRef<HTMLPreElement>(null);
  useEffect(() => {
    setCopied(false);
    if (state.error) errorRef.current?.focus();
    if (state.created) {
      setRegion(state.created.region);
      commandsRef.current?.focus();
    }
  }, [state]);

  const commands = state.created ? workerCommands(state.created, region) : "";
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
    <div className={styles.form}>
      <form className={styles.form} action={action}>
        {state.error ? (
          <p role="alert" className={styles.alert} tabIndex={-1} ref={errorRef}>
            {state.error}
          </p>
        ) : null}
        <input type="hidden" name="org" value={org ?? ""} />
        <div className={styles.field}>
          <label className={styles.label} htmlFor="worker-region">
            Region of the machine
          </label>
          <select id="worker-region" name="region" className={styles.select} value={region} onChange={(e) => setRegion(e.target.value)}>
            {regions.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name} ({r.id})
              </option>
            ))}
          </select>
          <span className={styles.hint}>Jobs go to the workers nearest their customers: pick where the machine really is.</span>
        </div>
        <div>
          <button className={styles.button} type="submit" disabled={pending} aria-busy={pending}>
            {pending ? "Creating token…" : state.created ? "Add another worker" : "Add a worker"}
          </button>
        </div>
      </form>
      {state.created ? (
        <section className={styles.success} aria-labelledby="worker-token-warning">
          <strong id="worker-token-warning">Run these on the machine. The token works once and is shown only now.</strong>
          <pre id="worker-commands" className={own.commands} ref={commandsRef} tabIndex={-1}>
            {commands}
          </pre>
          <div className={styles.inline}>
            <button type="button" className={styles.buttonSecondary} onClick={copy}>
              {copied ? "Copied" : "Copy commands"}
            </button>
            <span className={styles.hint}>
              Token expires {state.created.expiresAt.slice(0, 16).replace("T", " ")} UTC. Needs Node.js 22 or newer. The worker appears
              below as soon as it registers.
            </span>
          </div>
        </section>
      ) : null}
    </div>
  );
}
