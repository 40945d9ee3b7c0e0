"use client";

import { useActionState, useRef } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { ConfirmAction } from "~/components/ui/confirm-action";
import { Select } from "~/components/ui/field";
import { type FormState, removeMemberAction, revokeInvitationAction, setMemberRoleAction } from "../../actions";

/** An owner changes someone's role: the choice is saved when it changes (with a button for no-JS). */
export function RoleForm({ userId, name, role }: { userId: string; name: string; role: "owner" | "member" }) {
  const [state, action, pending] = useActionState<FormState, FormData>(setMemberRoleAction, {});
  const formRef = useRef<HTMLFormElement>(null);
  return (
    <form action={action} ref={formRef} className="flex flex-wrap items-center gap-2">
      <input type="hidden" name="userId" value={userId} />
      <Select
        name="role"
        defaultValue={role}
        aria-label={`Role of ${name}`}
        disabled={pending}
        className="w-auto"
        onChange={() => formRef.current?.requestSubmit()}
      >
        <option value="member">member</option>
        <option value="owner">owner</option>
      </Select>
      <noscript>
        <Button type="submit" size="sm" variant="secondary">
          Save
        </Button>
      </noscript>
      {state.error ? <Alert className="w-full">{state.error}</Alert> : null}
    </form>
  );
}

/** Remove a member (owners), or leave (anyone), after a confirmation. */
export function RemoveMemberButton({ userId, name, self, orgName }: { userId: string; name: string; self: boolean; orgName: string }) {
  return (
    <ConfirmAction
      action={removeMemberAction}
      fields={{ userId, self: self ? "1" : "0" }}
      trigger={self ? "Leave" : "Remove"}
      triggerLabel={self ? `Leave ${orgName}` : `Remove ${name}`}
      title={self ? `Leave ${orgName}?` : `Remove ${name} from ${orgName}?`}
      description={
        self
          ? "You lose access to its jobs, keys and workers at once. An owner can invite you again."
          : `${name} loses access to its jobs, keys and workers at once. You can invite them again later.`
      }
      confirm={self ? "Yes, leave" : "Yes, remove"}
      busy={self ? "Leaving…" : "Removing…"}
    />
  );
}

export function RevokeInvitationButton({ id, email }: { id: string; email: string }) {
  return (
    <ConfirmAction
      action={revokeInvitationAction}
      fields={{ id }}
      trigger="Revoke"
      triggerLabel={`Revoke the invitation to ${email}`}
      title={`Revoke the invitation to ${email}?`}
      description="The link stops working at once. You can invite the address again."
      confirm="Yes, revoke"
      busy="Revoking…"
    />
  );
}
