"use client";

import { useActionState, useEffect, useRef } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Field, FieldError, FieldHint, Input, Label, Select } from "~/components/ui/field";
import { useFocusOnError } from "~/components/ui/use-focus-on-error";
import { type InviteState, inviteMemberAction } from "../../actions";

/** Invite by email; the link is emailed and also shown here once, to pass on another way. */
export function InviteForm({ orgId }: { orgId: string }) {
  const [state, action, pending] = useActionState<InviteState, FormData>(inviteMemberAction, {});
  const formRef = useRef<HTMLFormElement>(null);
  const linkRef = useRef<HTMLInputElement>(null);
  const errorRef = useFocusOnError(state);
  useEffect(() => {
    if (state.created) {
      formRef.current?.reset();
      linkRef.current?.focus();
      linkRef.current?.select();
    }
  }, [state]);
  return (
    <div className="grid gap-4">
      {state.created ? (
        <Alert tone="success" role="region" aria-labelledby="invite-made" className="grid gap-2">
          <strong id="invite-made">
            {state.created.email} is invited as {state.created.role === "owner" ? "an owner" : "a member"}.
            {state.created.emailed ? " We emailed them this link;" : ""} it works once, for seven days, and only when they sign in with that
            address.
          </strong>
          <Label htmlFor="invite-link" className="text-success-ink">
            Invitation link
          </Label>
          <Input id="invite-link" readOnly value={state.created.url} ref={linkRef} className="font-mono text-[13px]" />
        </Alert>
      ) : null}
      <form className="grid gap-4 sm:grid-cols-[minmax(0,1fr)_10rem_auto] sm:items-end" action={action} ref={formRef}>
        <input type="hidden" name="pageOrg" value={orgId} />
        {state.error ? (
          <Alert tabIndex={-1} ref={errorRef} className="sm:col-span-3">
            {state.error}
          </Alert>
        ) : null}
        <Field>
          <Label htmlFor="invite-email">Email</Label>
          <Input
            id="invite-email"
            name="email"
            type="email"
            required
            maxLength={254}
            autoComplete="off"
            defaultValue={state.values?.email}
            aria-invalid={state.fieldErrors?.email ? true : undefined}
            aria-describedby={state.fieldErrors?.email ? "invite-email-error" : "invite-email-hint"}
          />
          {state.fieldErrors?.email ? (
            <FieldError id="invite-email-error">{state.fieldErrors.email}</FieldError>
          ) : (
            <FieldHint id="invite-email-hint">The address they sign in with.</FieldHint>
          )}
        </Field>
        <Field>
          <Label htmlFor="invite-role">Role</Label>
          <Select id="invite-role" name="role" defaultValue={state.values?.role ?? "member"}>
            <option value="member">Member</option>
            <option value="owner">Owner</option>
          </Select>
          <FieldHint>&nbsp;</FieldHint>
        </Field>
        <div className="pb-6">
          <Button type="submit" disabled={pending} aria-busy={pending}>
            {pending ? "Inviting…" : "Invite"}
          </Button>
        </div>
      </form>
    </div>
  );
}
