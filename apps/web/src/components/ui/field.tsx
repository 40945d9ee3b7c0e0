import type { ComponentProps } from "react";
import { cn } from "./cn";

// Form controls stay native elements (labels, <select>, file inputs and radios work with
// the keyboard, autofill and every assistive technology as they are); these give them the
// house look and wire hints and errors to the control with ids.

const CONTROL = [
  "block w-full rounded-md border border-subtle bg-white px-3 py-2 text-base text-ink sm:text-sm",
  "placeholder:text-muted aria-invalid:border-danger aria-invalid:ring-1 aria-invalid:ring-danger",
  "read-only:bg-canvas disabled:cursor-not-allowed disabled:bg-surface-muted",
];

/** A label above its control, with an optional hint and error under it. */
export function Field({ className, ...props }: ComponentProps<"div">) {
  return <div className={cn("grid gap-1.5", className)} {...props} />;
}

export function Label({ className, ...props }: ComponentProps<"label">) {
  // biome-ignore lint/a11y/noLabelWithoutControl: callers pass htmlFor
  return <label className={cn("text-sm font-semibold text-ink", className)} {...props} />;
}

export function Input({ className, ...props }: ComponentProps<"input">) {
  return <input className={cn(CONTROL, className)} {...props} />;
}

export function Textarea({ className, ...props }: ComponentProps<"textarea">) {
  return <textarea className={cn(CONTROL, "min-h-20", className)} {...props} />;
}

export function Select({ className, ...props }: ComponentProps<"select">) {
  return <select className={cn(CONTROL, "cursor-pointer pr-8", className)} {...props} />;
}

/** A file input whose button matches the secondary button. */
export function FileInput({ className, ...props }: Omit<ComponentProps<"input">, "type">) {
  return (
    <input
      type="file"
      className={cn(
        "block w-full text-sm text-muted file:mr-3 file:cursor-pointer file:rounded-md file:border file:border-subtle file:bg-white file:px-3 file:py-1.5 file:text-sm file:font-semibold file:text-ink hover:file:bg-surface-muted",
        className,
      )}
      {...props}
    />
  );
}

export function FieldHint({ className, ...props }: ComponentProps<"p">) {
  return <p className={cn("text-[13px] leading-snug text-muted", className)} {...props} />;
}

/** What is wrong with the field and how to fix it; give it an id and point the control's aria-describedby at it. */
export function FieldError({ className, ...props }: ComponentProps<"p">) {
  return <p className={cn("text-sm font-medium text-danger", className)} {...props} />;
}

/** A group of checkboxes or radios under a legend. */
export function Fieldset({ legend, className, children, ...props }: ComponentProps<"fieldset"> & { legend: string }) {
  return (
    <fieldset className={cn("rounded-md border border-line px-3.5 pt-1 pb-3", className)} {...props}>
      <legend className="px-1 text-sm font-semibold">{legend}</legend>
      {children}
    </fieldset>
  );
}

/** A checkbox or radio with its label text beside it (the label wraps the input). */
export function Choice({ className, children, ...props }: ComponentProps<"input">) {
  return (
    <label className={cn("flex cursor-pointer items-center gap-2 text-sm", className)}>
      <input className="size-4 shrink-0 cursor-pointer accent-accent" {...props} />
      {children}
    </label>
  );
}
