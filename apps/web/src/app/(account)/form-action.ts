import { TRPCError } from "@trpc/server";
import { headers } from "next/headers";
import { z } from "zod";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";

// The plumbing the account's server actions share (the actions.ts beside each page): which
// organisation a form acts on, the API as the request's session, and how a refusal becomes
// what the form shows. An action keeps only what is its own: its fields, its checks and their
// words. No server-actions directive here: nothing in this module is an endpoint.

/** What every form's state holds, besides what is its own: the last refusal, if any. */
export interface FormState {
  /** The summary. */
  error?: string;
  /** One message per field at fault. */
  fieldErrors?: Record<string, string | undefined>;
}

/** What a form shows after a refused submit. */
export interface FormFailure extends FormState {
  error: string;
}

/** The summary above per-field messages. */
export const CHECK_FIELDS = "Check the highlighted fields.";
const SESSION_ENDED = "Your session has ended. Sign in again, then retry.";
const OUR_SIDE = "Something went wrong on our side. Try again in a moment.";

/**
 * The organisation a dashboard form acts on: the one its page shows, sent in a hidden field
 * (`pageOrg`; the provider pages call it `org`). The page may be `?org=` another of the user's
 * organisations, or a tab left open before a switch, so an action never lands on whichever
 * organisation happens to be active. Undefined (a form without it): the active organisation.
 */
export function formOrg(form: FormData | undefined, field = "pageOrg"): string | undefined {
  const org = form?.get(field);
  return typeof org === "string" && org !== "" ? org : undefined;
}

/**
 * The tRPC API as the request's session, on the form's organisation (`formOrg`): the forms do
 * exactly what the API allows and no more. The context checks the membership; without a
 * session a procedure refuses with UNAUTHORIZED (`formFailure` words it).
 */
export async function formCaller(form?: FormData) {
  return createCaller(await createTRPCContext({ headers: await headers(), orgId: formOrg(form) ?? null }));
}

/** A form's own check refused its input: the summary and the fields' messages. */
export function fieldsFailure(fieldErrors: Record<string, string>): FormFailure {
  return { error: CHECK_FIELDS, fieldErrors };
}

type ApiCode = TRPCError["code"];

/** How a form words a refusal, where it differs from the default. */
export interface FailureWords {
  /**
   * Input the API refused (a zod error): `fields` (default) puts one message on each field
   * under CHECK_FIELDS; `summary` says it all in the summary (for forms that mark no fields);
   * `as-is` treats it as any other refusal of its code.
   */
  invalidInput?: "fields" | "summary" | "as-is";
  /** Words that replace the API's message for these codes. */
  instead?: Partial<Record<ApiCode, string>>;
  /** Only these codes show the API's message; the others say `otherwise`. Default: every code. */
  apiMessageFor?: readonly ApiCode[];
  /** What anything else says (an error that is not the API's, a code not shown). */
  otherwise?: string;
}

/**
 * The one place a thrown error becomes what a form shows: the API's refusal in its own words
 * (its message, or the fields at fault), an ended session as what to do about it, and
 * anything unexpected without its internals.
 */
export function formFailure(err: unknown, words: FailureWords = {}): FormFailure {
  const otherwise = words.otherwise ?? OUR_SIDE;
  if (!(err instanceof TRPCError)) return { error: otherwise };
  const invalidInput = words.invalidInput ?? "fields";
  if (err.cause instanceof z.ZodError && invalidInput !== "as-is") {
    if (invalidInput === "summary") return { error: z.prettifyError(err.cause) };
    const flat = z.flattenError(err.cause);
    return {
      error: CHECK_FIELDS,
      fieldErrors: Object.fromEntries(Object.entries(flat.fieldErrors).map(([k, v]) => [k, (v as string[] | undefined)?.[0]])),
    };
  }
  if (err.code === "UNAUTHORIZED") return { error: SESSION_ENDED };
  const instead = words.instead?.[err.code];
  if (instead !== undefined) return { error: instead };
  if (words.apiMessageFor && !words.apiMessageFor.includes(err.code)) return { error: otherwise };
  return { error: err.message };
}
