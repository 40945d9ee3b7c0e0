"use server";

import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { findRegion } from "@proofgrid/indexer";
import { getEnv } from "~/server/env";
import { formatTokens, parseTokens } from "~/server/services/billing/tokens";
import { platformUrlForWorkers } from "~/server/services/nodes/platform-url-for-workers";
import { type FailureWords, type FormState, formFailure, formOrg } from "../../form-action";
import { requireDashboard } from "../../session";

// Server actions of the provider portal. They go through the tRPC procedures with the
// page's organisation (`?org=`), so they can do exactly what the API allows.

export interface AddWorkerState extends FormState {
  /** The one-time token: it lives only in this response, never on a later page. */
  created?: { token: string; expiresAt: string; platformUrl: string; region: string };
}

/** The URL the worker must call: PROOFGRID_URL, else the address this browser reached (never 0.0.0.0). */
async function platformUrl(): Promise<string> {
  const h = await headers();
  return platformUrlForWorkers({
    configured: getEnv().PROOFGRID_URL,
    host: h.get("host"),
    forwardedProto: h.get("x-forwarded-proto"),
    requestUrl: "http://localhost",
  }).url;
}

export async function addWorkerAction(_prev: AddWorkerState, form: FormData): Promise<AddWorkerState> {
  const region = String(form.get("region") ?? "");
  if (!findRegion(region)) return { error: "Choose the region the machine is in." };
  try {
    const { caller } = await requireDashboard(formOrg(form, "org"));
    const url = await platformUrl();
    const res = await caller.providers.createRegistrationToken({ role: "worker", platformUrl: url, region });
    return { created: { token: res.token, expiresAt: res.expiresAt, platformUrl: url, region } };
  } catch (err) {
    return formFailure(err, {
      invalidInput: "as-is",
      apiMessageFor: ["FORBIDDEN"],
      otherwise: "The token could not be created. Try again in a moment; if it persists, check the server's logs.",
    });
  }
}

/** The workers table, refreshed by the page every few seconds. */
export async function listWorkersAction(org: string | undefined) {
  const { caller } = await requireDashboard(org);
  return caller.workers.list();
}

export interface WorkerControlState extends FormState {
  /** What was done, said in a sentence (shown as a status message). */
  done?: string;
}

const RETRY = "That did not work. Try again in a moment; if it persists, check the server's logs.";
/** A worker control's refusal in words: the API's message (its input included), or what to do when the fault is ours. */
const CONTROL_WORDS: FailureWords = { invalidInput: "as-is", instead: { INTERNAL_SERVER_ERROR: RETRY }, otherwise: RETRY };

const WORKER_OPS = ["rename", "pause", "resume", "ask", "stake", "unbond"] as const;
type WorkerOp = (typeof WORKER_OPS)[number];

/**
 * One control of a worker's page: rename, pause (drain) or resume, set the ask, stake or
 * unbond. Each goes through the same tRPC procedure the API offers, with the page's
 * organisation; a refusal is shown as the API states it and nothing changes.
 */
export async function workerControlAction(_prev: WorkerControlState, form: FormData): Promise<WorkerControlState> {
  const nodeId = String(form.get("nodeId") ?? "");
  const op = String(form.get("op") ?? "") as WorkerOp;
  if (!WORKER_OPS.includes(op)) return { error: "Unknown action." };
  try {
    const { caller } = await requireDashboard(formOrg(form, "org"));
    let done: string;
    switch (op) {
      case "rename": {
        const name = String(form.get("name") ?? "").trim();
        if (!name || name.length > 64) return { error: "A name is 1 to 64 characters." };
        await caller.workers.update({ id: nodeId, change: { name } });
        done = `Renamed to “${name}”.`;
        break;
      }
      case "pause":
      case "resume": {
        const r = await caller.workers.update({ id: nodeId, change: { paused: op === "pause" } });
        done =
          op === "pause"
            ? `Paused: nothing new is placed on it; the jobs it holds finish.${r.offersReturned ? ` ${r.offersReturned} offer(s) it had not started went back to the queue.` : ""}`
            : "Resumed: it takes new jobs again.";
        break;
      }
      case "ask": {
        const text = String(form.get("ask") ?? "").trim();
        if (text !== "" && !/^[1-9][0-9]{0,12}$/.test(text))
          return { error: "The ask is a whole number of base units per CU (1 to 10^12), or empty for the list price." };
        await caller.workers.update({ id: nodeId, change: { askPricePerCu: text === "" ? null : text } });
        done = text === "" ? "It now asks the list price." : `It now asks ${text} base units per CU.`;
        break;
      }
      case "stake":
      case "unbond": {
        const amount = parseTokens(String(form.get("amount") ?? ""));
        if (amount === null) return { error: "Enter a positive amount of tokens, e.g. 250 or 0.5." };
        // Made when the form was drawn: a double submit or a retry moves the tokens once.
        const idempotencyKey = String(form.get("idempotencyKey") ?? "") || undefined;
        if (op === "stake") {
          const source = form.get("source") === "earnings" ? "earnings" : form.get("source") === "available" ? "available" : "any";
          await caller.verification.stake({ nodeId, amount: amount.toString(), idempotencyKey, source });
          done = `Bonded ${formatTokens(amount)} tokens.`;
        } else {
          const r = await caller.verification.unbond({ nodeId, amount: amount.toString(), idempotencyKey });
          done = `Unbonding ${formatTokens(amount)} tokens: they return to your balance at ${r.releaseAt.slice(0, 16).replace("T", " ")} UTC.`;
        }
        break;
      }
    }
    revalidatePath("/dashboard/workers/[id]", "page");
    return { done };
  } catch (err) {
    return formFailure(err, CONTROL_WORDS);
  }
}

/**
 * Removes (retires) a worker from its page, behind a confirmation. A refusal (jobs in
 * flight, stake, held earnings) stays in the dialog, saying what is left; success goes back
 * to the workers list, where it no longer appears.
 */
export async function removeWorkerAction(_prev: FormState, form: FormData): Promise<FormState> {
  const org = formOrg(form, "org");
  const nodeId = String(form.get("nodeId") ?? "");
  try {
    const { caller } = await requireDashboard(org);
    await caller.workers.remove({ id: nodeId });
  } catch (err) {
    return formFailure(err, CONTROL_WORDS);
  }
  revalidatePath("/dashboard/workers");
  redirect(`/dashboard/workers${org ? `?org=${encodeURIComponent(org)}` : ""}`);
}
