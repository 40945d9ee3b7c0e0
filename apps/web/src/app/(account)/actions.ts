"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { API_SCOPES } from "~/server/auth/scopes";
import { parseTokens } from "~/server/services/billing/get-balance";
import { type FormState, fieldsFailure, formCaller, formFailure } from "./form-action";

// Server actions behind the account forms. Each goes through the tRPC procedures with the
// request's session (form-action.ts), so the forms can do exactly what the API allows and no more.

export async function createOrganizationAction(_prev: FormState, form: FormData): Promise<FormState> {
  try {
    await (await formCaller()).account.createOrganization({
      name: String(form.get("name") ?? ""),
      kind: String(form.get("kind") ?? "") as "customer",
    });
  } catch (err) {
    return formFailure(err);
  }
  redirect("/dashboard");
}

export async function switchOrganizationAction(form: FormData): Promise<void> {
  await (await formCaller()).account.setActiveOrganization({ orgId: String(form.get("orgId") ?? "") });
  redirect("/dashboard");
}

export interface CreateKeyState extends FormState {
  /** The new key, shown once: it lives only in this response. */
  created?: { name: string; prefix: string; key: string };
}

export async function createKeyAction(_prev: CreateKeyState, form: FormData): Promise<CreateKeyState> {
  const scopes = form.getAll("scopes").map(String);
  if (scopes.length === 0) return fieldsFailure({ scopes: "Choose at least one scope." });
  try {
    const key = await (await formCaller(form)).keys.create({
      name: String(form.get("name") ?? ""),
      scopes: scopes.filter((s): s is (typeof API_SCOPES)[number] => (API_SCOPES as readonly string[]).includes(s)),
    });
    revalidatePath("/dashboard/keys");
    return { created: { name: key.name, prefix: key.prefix, key: key.key } };
  } catch (err) {
    return formFailure(err);
  }
}

export async function revokeKeyAction(_prev: FormState, form: FormData): Promise<FormState> {
  try {
    await (await formCaller(form)).keys.revoke({ id: String(form.get("id") ?? "") });
  } catch (err) {
    return formFailure(err);
  }
  revalidatePath("/dashboard/keys");
  return {};
}

export interface InviteState extends FormState {
  /** What was typed, sent back with an error so the form keeps it. */
  values?: { email: string; role: string };
  /** The invitation's link, shown once to the owner who made it. */
  created?: { email: string; role: string; url: string; emailed: boolean };
}

export async function inviteMemberAction(_prev: InviteState, form: FormData): Promise<InviteState> {
  const values = { email: String(form.get("email") ?? ""), role: String(form.get("role") ?? "member") };
  try {
    const inv = await (await formCaller(form)).members.invite({
      email: String(form.get("email") ?? ""),
      role: form.get("role") === "owner" ? "owner" : "member",
    });
    revalidatePath("/dashboard/members");
    return { created: { email: inv.email, role: inv.role, url: inv.url, emailed: inv.emailed } };
  } catch (err) {
    return { ...formFailure(err), values };
  }
}

export async function revokeInvitationAction(_prev: FormState, form: FormData): Promise<FormState> {
  try {
    await (await formCaller(form)).members.revokeInvitation({ id: String(form.get("id") ?? "") });
  } catch (err) {
    return formFailure(err);
  }
  revalidatePath("/dashboard/members");
  return {};
}

export async function setMemberRoleAction(_prev: FormState, form: FormData): Promise<FormState> {
  try {
    await (await formCaller(form)).members.setRole({
      userId: String(form.get("userId") ?? ""),
      role: form.get("role") === "owner" ? "owner" : "member",
    });
  } catch (err) {
    return formFailure(err);
  }
  revalidatePath("/dashboard/members");
  return {};
}

export async function removeMemberAction(_prev: FormState, form: FormData): Promise<FormState> {
  const self = form.get("self") === "1";
  try {
    await (await formCaller(form)).members.remove({ userId: String(form.get("userId") ?? "") });
  } catch (err) {
    return formFailure(err);
  }
  if (self) redirect("/dashboard");
  revalidatePath("/dashboard/members");
  return {};
}

export async function acceptInvitationAction(_prev: FormState, form: FormData): Promise<FormState> {
  try {
    await (await formCaller()).members.accept({ token: String(form.get("token") ?? "") });
  } catch (err) {
    return formFailure(err);
  }
  redirect("/dashboard");
}

export interface GrantState extends FormState {
  values?: { orgId: string; tokens: string; memo: string };
  granted?: { orgName: string; tokens: string; created: boolean };
}

export async function grantCreditsAction(_prev: GrantState, form: FormData): Promise<GrantState> {
  const tokens = String(form.get("tokens") ?? "").trim();
  const values = { orgId: String(form.get("orgId") ?? ""), tokens, memo: String(form.get("memo") ?? "") };
  const baseUnits = parseTokens(tokens);
  if (baseUnits === null) {
    return { ...fieldsFailure({ tokens: "A positive number of tokens, at most 6 decimals." }), values };
  }
  const amount = baseUnits.toString();
  try {
    const r = await (await formCaller()).admin.grantCredits({
      orgId: String(form.get("orgId") ?? ""),
      amount,
      idempotencyKey: String(form.get("idempotencyKey") ?? ""),
      memo: String(form.get("memo") ?? ""),
    });
    revalidatePath("/admin");
    return { granted: { orgName: String(form.get("orgName") ?? ""), tokens, created: r.created } };
  } catch (err) {
    return { ...formFailure(err), values };
  }
}

export async function liftQuarantineAction(_prev: FormState, form: FormData): Promise<FormState> {
  try {
    await (await formCaller()).admin.liftQuarantine({ nodeId: String(form.get("nodeId") ?? "") });
  } catch (err) {
    return formFailure(err);
  }
  revalidatePath("/admin");
  return {};
}
