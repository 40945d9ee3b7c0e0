"use client";

import { AlertDialog as Primitive } from "radix-ui";
import type { ComponentProps } from "react";
import { cn } from "./cn";

// A confirmation that interrupts: focus is trapped inside, Escape cancels, and focus goes
// back to what opened it. Built on Radix's AlertDialog (role="alertdialog", labelled by its
// title and described by its description).

export const AlertDialog = Primitive.Root;
export const AlertDialogTrigger = Primitive.Trigger;
export const AlertDialogCancel = Primitive.Cancel;
export const AlertDialogAction = Primitive.Action;

export interface AlertDialogContentProps extends ComponentProps<typeof Primitive.Content> {
  /**
   * Render in place rather than in a portal at the end of <body>. The box is fixed to the
   * viewport either way; in place keeps it in the DOM of what it confirms (a table row).
   */
  inPlace?: boolean;
}

export function AlertDialogContent({ inPlace = false, className, children, ...props }: AlertDialogContentProps) {
  const body = (
    <>
      <Primitive.Overlay className="fixed inset-0 z-40 bg-ink/50" />
      <Primitive.Content
        className={cn(
          "fixed top-1/2 left-1/2 z-50 grid w-[calc(100vw-2rem)] max-w-md -translate-x-1/2 -translate-y-1/2 gap-3",
          "rounded-lg border border-line bg-white p-5 text-left text-sm text-ink shadow-pop",
          className,
        )}
        {...props}
      >
        {children}
      </Primitive.Content>
    </>
  );
  return inPlace ? body : <Primitive.Portal>{body}</Primitive.Portal>;
}

export function AlertDialogTitle({ className, ...props }: ComponentProps<typeof Primitive.Title>) {
  return <Primitive.Title className={cn("text-base font-semibold", className)} {...props} />;
}

export function AlertDialogDescription({ className, ...props }: ComponentProps<typeof Primitive.Description>) {
  return <Primitive.Description className={cn("text-muted", className)} {...props} />;
}

export function AlertDialogFooter({ className, ...props }: ComponentProps<"div">) {
  return <div className={cn("mt-2 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end", className)} {...props} />;
}
