import type { ComponentProps } from "react";
import { cn } from "./cn";

const TONES = {
  neutral: "bg-surface-muted text-ink-soft",
  info: "bg-accent-soft text-accent-ink",
  success: "bg-success-soft text-success-ink ring-1 ring-inset ring-success-line",
  warning: "bg-warning-soft text-warning-ink ring-1 ring-inset ring-warning-line",
  danger: "bg-danger-soft text-danger-ink ring-1 ring-inset ring-danger-line",
} as const;

export type BadgeTone = keyof typeof TONES;

/** A small rounded label: a scope, a job state. */
export function Badge({ tone = "neutral", className, ...props }: ComponentProps<"span"> & { tone?: BadgeTone }) {
  return (
    <span
      className={cn(
        "inline-flex items-center whitespace-nowrap rounded-full px-2 py-px text-xs font-semibold leading-5",
        TONES[tone],
        className,
      )}
      {...props}
    />
  );
}

/** A job's state in one of the badge tones: green done, red failed, blue moving, grey otherwise. */
export function jobStateTone(state: string): BadgeTone {
  if (state === "succeeded") return "success";
  if (state === "failed" || state === "expired") return "danger";
  if (state === "running" || state === "assigned") return "info";
  return "neutral";
}

const DOTS = { success: "bg-success", neutral: "bg-subtle", warning: "bg-warning", danger: "bg-danger" } as const;
const DOT_TEXT = { success: "text-success-ink", neutral: "text-muted", warning: "text-warning-ink", danger: "text-danger" } as const;

/** A status with a coloured dot before it; the word carries the meaning, the colour only repeats it. */
export function StatusPill({ tone, className, children, ...props }: ComponentProps<"span"> & { tone: keyof typeof DOTS }) {
  return (
    <span className={cn("inline-flex items-center gap-1.5 font-semibold", DOT_TEXT[tone], className)} {...props}>
      <span aria-hidden="true" className={cn("size-2 shrink-0 rounded-full", DOTS[tone])} />
      {children}
    </span>
  );
}
