"use client";

import { ConfirmAction } from "~/components/ui/confirm-action";
import { revokeKeyAction } from "../../actions";

/**
 * Revoke in two steps: the button opens a confirmation, in the key's row, with focus on
 * "Yes, revoke"; Cancel or Escape returns focus to the button.
 */
export function RevokeKeyButton({ id, name, orgId }: { id: string; name: string; orgId: string }) {
  return (
    <ConfirmAction
      action={revokeKeyAction}
      fields={{ id, pageOrg: orgId }}
      trigger="Revoke"
      triggerLabel={`Revoke key ${name}`}
      title={`Revoke “${name}”?`}
      description="Requests with it will fail at once. This cannot be undone: if something still needs a key, create a new one for it."
      confirm="Yes, revoke"
      busy="Revoking…"
      focusAfter="keys-heading"
    />
  );
}
