"use client";

import { useActionState, useEffect, useRef, useState } from "react";
import { Alert } from "./alert";
import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogTitle,
  AlertDialogTrigger,
} from "./alert-dialog";
import { Button } from "./button";

export interface ConfirmState {
  error?: string;
}

/**
 * A destructive server action behind a confirmation: the trigger opens an alert dialog
 * with focus on the confirm button; Cancel or Escape returns focus to the trigger; an
 * error stays in the dialog, saying what to do; success closes it (the page re-renders) and
 * puts focus on `focusAfter` (a heading with tabIndex -1, say), since the trigger is usually
 * gone with its row and focus would otherwise fall to the page's body.
 * The dialog renders in place (inside a table row, say), fixed to the viewport all the same.
 */
export function ConfirmAction(props: {
  action: (prev: ConfirmState, form: FormData) => Promise<ConfirmState>;
  fields: Record<string, string>;
  trigger: string;
  triggerLabel: string;
  title: string;
  description: string;
  confirm: string;
  busy: string;
  /** The id of what takes focus after a success. */
  focusAfter?: string;
}) {
  const [open, setOpen] = useState(false);
  const [state, action, pending] = useActionState<ConfirmState, FormData>(props.action, {});
  const confirmRef = useRef<HTMLButtonElement>(null);
  const submitted = useRef(false);
  const succeeded = useRef(false);
  useEffect(() => {
    if (submitted.current && !pending && !state.error) {
      succeeded.current = true;
      setOpen(false);
    }
  }, [pending, state]);
  // The page's refresh often removes this control (its row) in the same render that brings
  // the answer: then, once the DOM has settled, focus what it names if focus fell to the body.
  const focusAfter = useRef(props.focusAfter);
  focusAfter.current = props.focusAfter;
  useEffect(
    () => () => {
      const id = focusAfter.current;
      if (!submitted.current || !id) return;
      requestAnimationFrame(() => {
        const lost = !document.activeElement || document.activeElement === document.body;
        if (lost) document.getElementById(id)?.focus();
      });
    },
    [],
  );
  return (
    <AlertDialog open={open} onOpenChange={setOpen}>
      <AlertDialogTrigger asChild>
        <Button variant="secondary" size="sm" aria-label={props.triggerLabel}>
          {props.trigger}
        </Button>
      </AlertDialogTrigger>
      <AlertDialogContent
        inPlace
        onOpenAutoFocus={(e) => {
          e.preventDefault();
          confirmRef.current?.focus();
        }}
        onCloseAutoFocus={(e) => {
          const target = succeeded.current && props.focusAfter ? document.getElementById(props.focusAfter) : null;
          if (target) {
            e.preventDefault();
            target.focus();
          }
        }}
      >
        <AlertDialogTitle>{props.title}</AlertDialogTitle>
        <AlertDialogDescription>{props.description}</AlertDialogDescription>
        {state.error ? <Alert>{state.error}</Alert> : null}
        <form
          action={action}
          onSubmit={() => {
            submitted.current = true;
          }}
        >
          {Object.entries(props.fields).map(([k, v]) => (
            <input key={k} type="hidden" name={k} value={v} />
          ))}
          <AlertDialogFooter>
            <AlertDialogCancel asChild>
              <Button variant="secondary">Cancel</Button>
            </AlertDialogCancel>
            <Button type="submit" variant="danger" ref={confirmRef} disabled={pending} aria-busy={pending}>
              {pending ? props.busy : props.confirm}
            </Button>
          </AlertDialogFooter>
        </form>
      </AlertDialogContent>
    </AlertDialog>
  );
}
