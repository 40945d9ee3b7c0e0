import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CHECK_FIELDS, fieldsFailure, formFailure, formOrg } from "./form-action";

// The words every form shows for a refusal come from formFailure: these are the answers the
// account's actions gave when each wrote its own (the billing and payouts pages, the provider
// portal's token and controls), kept the same when they moved here. An integration test only
// for the web app's `~/` imports; it needs no database.

const SESSION_ENDED = "Your session has ended. Sign in again, then retry.";
const OUR_SIDE = "Something went wrong on our side. Try again in a moment.";

const zodError = z
  .object({ name: z.string().min(2, "Too short."), email: z.email("Not an email.") })
  .safeParse({ name: "a", email: "x" }).error;
const badInput = new TRPCError({ code: "BAD_REQUEST", message: "Invalid input", cause: zodError });
const forbidden = new TRPCError({ code: "FORBIDDEN", message: "Only owners may do this." });
const conflict = new TRPCError({ code: "CONFLICT", message: "Already done." });
const internal = new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "db exploded" });
const unauthorized = new TRPCError({ code: "UNAUTHORIZED", message: "no session" });

describe("formFailure", () => {
  it("by default: fields at fault under a summary, an ended session, the API's words, nothing internal", () => {
    expect(formFailure(badInput)).toEqual({ error: CHECK_FIELDS, fieldErrors: { name: "Too short.", email: "Not an email." } });
    expect(formFailure(unauthorized)).toEqual({ error: SESSION_ENDED });
    expect(formFailure(forbidden)).toEqual({ error: "Only owners may do this." });
    expect(formFailure(internal)).toEqual({ error: "db exploded" });
    expect(formFailure(new Error("boom"))).toEqual({ error: OUR_SIDE });
  });

  it("a form that marks no field says the input's faults in the summary, and may word a code its own way", () => {
    const words = { invalidInput: "summary", instead: { FORBIDDEN: "Only the owners." } } as const;
    expect(formFailure(badInput, words)).toEqual({ error: z.prettifyError(zodError!) });
    expect(formFailure(forbidden, words)).toEqual({ error: "Only the owners." });
    expect(formFailure(unauthorized, words)).toEqual({ error: SESSION_ENDED });
    expect(formFailure(conflict, words)).toEqual({ error: "Already done." });
  });

  it("shows the API's message only for the codes named; everything else says what to do", () => {
    const words = { invalidInput: "as-is", apiMessageFor: ["FORBIDDEN"], otherwise: "Try again." } as const;
    expect(formFailure(forbidden, words)).toEqual({ error: "Only owners may do this." });
    expect(formFailure(unauthorized, words)).toEqual({ error: SESSION_ENDED });
    expect(formFailure(badInput, words)).toEqual({ error: "Try again." });
    expect(formFailure(conflict, words)).toEqual({ error: "Try again." });
    expect(formFailure(new Error("boom"), words)).toEqual({ error: "Try again." });
  });

  it("as-is input refusals and a worded internal error (the worker controls)", () => {
    const words = { invalidInput: "as-is", instead: { INTERNAL_SERVER_ERROR: "Retry." }, otherwise: "Retry." } as const;
    expect(formFailure(badInput, words)).toEqual({ error: "Invalid input" });
    expect(formFailure(internal, words)).toEqual({ error: "Retry." });
    expect(formFailure(conflict, words)).toEqual({ error: "Already done." });
    expect(formFailure(new Error("boom"), words)).toEqual({ error: "Retry." });
  });

  it("a form's own check: the same summary over its fields", () => {
    expect(fieldsFailure({ tokens: "Enter how many." })).toEqual({ error: CHECK_FIELDS, fieldErrors: { tokens: "Enter how many." } });
  });
});

describe("formOrg", () => {
  it("is the page's organisation when the form names one, else undefined (the active one)", () => {
    const form = new FormData();
    expect(formOrg(form)).toBeUndefined();
    expect(formOrg(undefined)).toBeUndefined();
    form.set("pageOrg", "");
    expect(formOrg(form)).toBeUndefined();
    form.set("pageOrg", "org-1");
    form.set("org", "org-2");
    expect(formOrg(form)).toBe("org-1");
    expect(formOrg(form, "org")).toBe("org-2");
    form.set("org", new Blob(["x"]));
    expect(formOrg(form, "org")).toBeUndefined();
  });
});
