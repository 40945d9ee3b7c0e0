"use client";

import { useActionState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { acceptInvitationAction } from "../../actions";
import type { FormState } from "../../form-action";

export function AcceptInvitationForm({ token, orgName }: { token: string; orgName: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(acceptInvitationAction, {});
  return (
    <form action={action} className="grid gap-3">
      {state.error ? <Alert>{state.error}</Alert> : null}
      <input type="hidden" name="token" value={token} />
      <div>
        <Button type="submit" disabled={pending} aria-busy={pending}>
          {pending ? "Joining…" : `Join ${orgName}`}
        </Button>
      </div>
    </form>
  );
}
