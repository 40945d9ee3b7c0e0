"use server";

import { TRPCError } from "@trpc/server";
import { headers } from "next/headers";
import { findRegion } from "@proofgrid/indexer";
import { getEnv } from "~/server/env";
import { platformUrlForWorkers } from "~/server/services/nodes/platform-url-for-workers";
import { requireDashboard } from "../../session";

// Server actions of the provider portal. They go through the tRPC procedures with the
// page's organisation (`?org=`), so they can do exactly what the API allows.

export interface AddWorkerState {
  error?: string;
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
  const org = form.get("org");
  const region = String(form.get("region") ?? "");
  if (!findRegion(region)) return { error: "Choose the region the machine is in." };
  try {
    const { caller } = await requireDashboard(typeof org === "string" && org !== "" ? org : undefined);
    const url = await platformUrl();
    const res = await caller.providers.createRegistrationToken({ role: "worker", platformUrl: url, region });
    return { created: { token: res.token, expiresAt: res.expiresAt, platformUrl: url, region } };
  } catch (err) {
    if (err instanceof TRPCError) {
      if (err.code === "UNAUTHORIZED") return { error: "Your session has ended. Sign in again, then retry." };
      if (err.code === "FORBIDDEN") return { error: err.message };
    }
    return { error: "The token could not be created. Try again in a moment; if it persists, check the server's logs." };
  }
}

/** The workers table, refreshed by the page every few seconds. */
export async function listWorkersAction(org: string | undefined) {
  const { caller } = await requireDashboard(org);
  return caller.workers.list();
}
