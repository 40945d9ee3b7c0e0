import type { ComponentProps, ReactNode } from "react";
import { cn } from "./cn";

export interface EmptyStateProps extends Omit<ComponentProps<"div">, "title"> {
  title: ReactNode;
  /** What to do to fill it. */
  action?: ReactNode;
}

/** Nothing here yet: what is missing, and the way to add it. */
export function EmptyState({ title, action, className, children, ...props }: EmptyStateProps) {
  return (
    <div className={cn("rounded-lg border border-dashed border-line-strong bg-white px-5 py-6 text-sm", className)} {...props}>
      <p className="font-semibold text-ink">{title}</p>
      {children ? <div className="mt-1 text-muted">{children}</div> : null}
      {action ? <div className="mt-4 flex flex-wrap items-center gap-3">{action}</div> : null}
    </div>
  );
}
