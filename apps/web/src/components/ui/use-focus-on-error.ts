"use client";

import { useEffect, useRef } from "react";

/**
 * After a failed submit, moves focus to what says so, where keyboard and screen-reader users
 * then are: the element given the returned ref, the form's error summary (an Alert with
 * tabIndex={-1}); or, with the ref on the <form> itself, its first invalid field
 * (aria-invalid="true").
 *
 * `answer` is the form's last answer: useActionState's state (a new object per submit, so the
 * same error twice is focused twice) or the error's text. `alsoWhen` focuses the same element
 * after another answer shown in its place ("Saved.", what was done).
 */
export function useFocusOnError<E extends HTMLElement = HTMLDivElement>(
  answer: { error?: string } | string | null | undefined,
  { alsoWhen }: { alsoWhen?: unknown } = {},
) {
  const ref = useRef<E>(null);
  const also = Boolean(alsoWhen);
  useEffect(() => {
    const failed = typeof answer === "string" ? answer !== "" : Boolean(answer?.error);
    if (!failed && !also) return;
    const target = ref.current;
    if (target instanceof HTMLFormElement) target.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    else target?.focus();
  }, [answer, also]);
  return ref;
}
