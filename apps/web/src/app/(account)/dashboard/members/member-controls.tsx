"use client";

import { useActionState, useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { ConfirmAction } from "~/components/ui/confirm-action";
import { Select } from "~/components/ui/field";
import { removeMemberAction, revokeInvitationAction, setMemberRoleAction } from "../../actions";
import type { FormState } from "../../form-action";

/**
 * An owner changes someone's role with an explicit Save: arrow keys on a closed select fire
 * `change` in some browsers, and a keyboard user must not demote someone by moving through it.
 */
export function RoleForm({ userId, name, role, orgId }: { userId: string; name: string; role: "owner" | "member"; orgId: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(setMemberRoleAction, {});
  const [chosen, setChosen] = useState(role);
  return (
    <form action={action} className="flex flex-wrap items-center gap-2">
      <input type="hidden" name="userId" value={userId} />
      <input type="hidden" name="pageOrg" value={orgId} />
      <Select
        name="role"
        value={chosen}
        onChange={(e) => setChosen(e.currentTarget.value === "owner" ? "owner" : "member")}
        aria-label={`Role of ${name}`}
        disabled={pending}
        className="w-auto"
      >
        <option value="member">member</option>
        <option value="owner">owner</option>
      </Select>
      {chosen !== role ? (
        <Button type="submit" size="sm" variant="secondary" disabled={pending} aria-busy={pending} aria-label={`Save the role of ${name}`}>
          {pending ? "Saving…" : "Save"}
        </Button>
      ) : null}
      {state.error ? <Alert className="w-full">{state.error}</Alert> : null}
    </form>
  );
}

/** Remove a member (owners), or leave (anyone), after a confirmation. */
export function RemoveMemberButton({
  userId,
  name,
  self,
  orgName,
  orgId,
}: {
  userId: string;
  name: string;
  self: boolean;
  orgName: string;
  orgId: string;
}) {
  return (
    <ConfirmAction
      action={removeMemberAction}
      fields={{ userId, self: self ? "1" : "0", pageOrg: orgId }}
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
      focusAfter="members-heading"
    />
  );
}

export function RevokeInvitationButton({ id, email, orgId }: { id: string; email: string; orgId: string }) {
  return (
    <ConfirmAction
      action={revokeInvitationAction}
      fields={{ id, pageOrg: orgId }}
      trigger="Revoke"
      triggerLabel={`Revoke the invitation to ${email}`}
      title={`Revoke the invitation to ${email}?`}
      description="The link stops working at once. You can invite the address again."
      confirm="Yes, revoke"
      busy="Revoking…"
      focusAfter="invitations-heading"
    />
  );
}
