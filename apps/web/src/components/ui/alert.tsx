import type { ComponentProps, ReactNode } from "react";
import { cn } from "./cn";

const TONES = {
  error: "border-danger-line bg-danger-soft text-danger-ink before:bg-danger",
  warning: "border-warning-line bg-warning-soft text-warning-ink before:bg-warning",
  info: "border-accent-soft bg-white text-ink before:bg-accent",
  success: "border-success-line bg-success-soft text-success-ink before:bg-success",
} as const;

export interface AlertProps extends Omit<ComponentProps<"div">, "title"> {
  tone?: keyof typeof TONES;
  /** A short summary in bold; the children say what to do about it. */
  title?: ReactNode;
}

/**
 * A message in a coloured box. Write it as what happened and what to do next ("The balance
 * cannot be read right now. Reload the page in a minute."). An error is announced at once
 * (`role="alert"`) unless the caller passes another role; the other tones are quiet.
 */
export function Alert({ tone = "error", title, className, children, role, ...props }: AlertProps) {
  return (
    <div
      role={role ?? (tone === "error" ? "alert" : undefined)}
      className={cn(
        "relative overflow-hidden rounded-md border py-2.5 pr-3 pl-4 text-sm leading-relaxed",
        "before:absolute before:inset-y-0 before:left-0 before:w-1 before:content-['']",
        TONES[tone],
        className,
      )}
      {...props}
    >
      {title ? <p className="font-semibold">{title}</p> : null}
      {children}
    </div>
  );
}
