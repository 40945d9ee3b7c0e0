"use client";

import { useActionState, useEffect, useRef, useState } from "react";
import { Alert } from "~/components/ui/alert";
import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogTitle,
  AlertDialogTrigger,
} from "~/components/ui/alert-dialog";
import { Button } from "~/components/ui/button";
import { type FormState, revokeKeyAction } from "../../actions";

/**
 * Revoke in two steps: the button opens a confirmation with focus on "Yes, revoke"; Cancel
 * or Escape returns focus to the button. The dialog renders inside the key's row (it is
 * fixed to the viewport all the same), so the row holds everything about its key.
 */
export function RevokeKeyButton({ id, name }: { id: string; name: string }) {
  const [open, setOpen] = useState(false);
  const [state, action, pending] = useActionState<FormState, FormData>(revokeKeyAction, {});
  const confirmRef = useRef<HTMLButtonElement>(null);
  const submitted = useRef(false);
  useEffect(() => {
    // Done without an error: the page re-renders the row as revoked; close in case it lingers.
    if (submitted.current && !pending && !state.error) setOpen(false);
  }, [pending, state]);
  return (
    <AlertDialog open={open} onOpenChange={setOpen}>
      <AlertDialogTrigger asChild>
        <Button variant="secondary" size="sm" aria-label={`Revoke key ${name}`}>
          Revoke
        </Button>
      </AlertDialogTrigger>
      <AlertDialogContent
        inPlace
        onOpenAutoFocus={(e) => {
          e.preventDefault();
          confirmRef.current?.focus();
        }}
      >
        <AlertDialogTitle>Revoke “{name}”?</AlertDialogTitle>
        <AlertDialogDescription>
          Requests with it will fail at once. This cannot be undone: if something still needs a key, create a new one for it.
        </AlertDialogDescription>
        {state.error ? <Alert>{state.error}</Alert> : null}
        <form
          action={action}
          onSubmit={() => {
            submitted.current = true;
          }}
        >
          <input type="hidden" name="id" value={id} />
          <AlertDialogFooter>
            <AlertDialogCancel asChild>
              <Button variant="secondary">Cancel</Button>
            </AlertDialogCancel>
            <Button type="submit" variant="danger" ref={confirmRef} disabled={pending} aria-busy={pending}>
              {pending ? "Revoking…" : "Yes, revoke"}
            </Button>
          </AlertDialogFooter>
        </form>
      </AlertDialogContent>
    </AlertDialog>
  );
}
