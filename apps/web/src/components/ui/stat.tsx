import type { ComponentProps, ReactNode } from "react";
import { cn } from "./cn";
import { Skeleton } from "./skeleton";

/** A row of figures that wraps to fit: two per line on a phone, more on wider screens. */
export function StatList({ className, ...props }: ComponentProps<"ul">) {
  return (
    <ul
      className={cn("my-4 grid list-none grid-cols-2 gap-3 p-0 md:grid-cols-[repeat(auto-fit,minmax(10rem,1fr))]", className)}
      {...props}
    />
  );
}

export interface StatProps extends Omit<ComponentProps<"div">, "children"> {
  label: ReactNode;
  /** The figure; null while it loads (a placeholder is shown). */
  value: ReactNode | null;
  note?: ReactNode;
}

/** One figure with its label. Extra props (ids, data-*) go on the figure's element. */
export function Stat({ label, value, note, className, ...valueProps }: StatProps) {
  return (
    <li className="min-w-0 rounded-lg border border-line bg-white px-4 py-3 shadow-card">
      <div className="text-[13px] text-muted">{label}</div>
      <div className={cn("text-xl font-semibold tabular-nums [overflow-wrap:anywhere] sm:text-2xl", className)} {...valueProps}>
        {value ?? (
          <>
            <Skeleton className="my-1.5 h-6 w-16" />
            <span className="sr-only">loading</span>
          </>
        )}
      </div>
      {note ? <div className="text-xs text-muted">{note}</div> : null}
    </li>
  );
}
