"use server";

import { TRPCError } from "@trpc/server";
import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { API_SCOPES } from "~/server/auth/scopes";

// Server actions behind the account forms. Each goes through the tRPC procedures with the
// request's session, so the forms can do exactly what the API allows and no more.

async function caller() {
  return createCaller(await createTRPCContext({ headers: await headers() }));
}

export interface FormState {
  error?: string;
  fieldErrors?: Record<string, string | undefined>;
}

function failure(err: unknown): FormState {
  if (err instanceof TRPCError) {
    if (err.cause instanceof z.ZodError) {
      const flat = z.flattenError(err.cause);
      return {
        error: "Check the highlighted fields.",
        fieldErrors: Object.fromEntries(Object.entries(flat.fieldErrors).map(([k, v]) => [k, (v as string[] | undefined)?.[0]])),
      };
    }
    if (err.code === "UNAUTHORIZED") return { error: "Your session has ended. Sign in again, then retry." };
    return { error: err.message };
  }
  return { error: "Something went wrong on our side. Try again in a moment." };
}

export async function createOrganizationAction(_prev: FormState, form: FormData): Promise<FormState> {
  try {
    await (await caller()).account.createOrganization({
      name: String(form.get("name") ?? ""),
      kind: String(form.get("kind") ?? "") as "customer",
    });
  } catch (err) {
    return failure(err);
  }
  redirect("/dashboard");
}

export async function switchOrganizationAction(form: FormData): Promise<void> {
  await (await caller()).account.setActiveOrganization({ orgId: String(form.get("orgId") ?? "") });
  redirect("/dashboard");
}

export interface CreateKeyState extends FormState {
  /** The new key, shown once: it lives only in this response. */
  created?: { name: string; prefix: string; key: string };
}

export async function createKeyAction(_prev: CreateKeyState, form: FormData): Promise<CreateKeyState> {
  const scopes = form.getAll("scopes").map(String);
  if (scopes.length === 0) return { error: "Check the highlighted fields.", fieldErrors: { scopes: "Choose at least one scope." } };
  try {
    const key = await (await caller()).keys.create({
      name: String(form.get("name") ?? ""),
      scopes: scopes.filter((s): s is (typeof API_SCOPES)[number] => (API_SCOPES as readonly string[]).includes(s)),
    });
    revalidatePath("/dashboard/keys");
    return { created: { name: key.name, prefix: key.prefix, key: key.key } };
  } catch (err) {
    return failure(err);
  }
}

export async function revokeKeyAction(_prev: FormState, form: FormData): Promise<FormState> {
  try {
    await (await caller()).keys.revoke({ id: String(form.get("id") ?? "") });
  } catch (err) {
    return failure(err);
  }
  revalidatePath("/dashboard/keys");
  return {};
}
