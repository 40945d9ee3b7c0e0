import type { ComponentProps } from "react";
import { cn } from "./cn";

/** A grey placeholder block where content is loading; size it with width and height utilities. */
export function Skeleton({ className, ...props }: ComponentProps<"span">) {
  return <span aria-hidden="true" className={cn("block h-4 motion-safe:animate-pulse rounded-sm bg-line", className)} {...props} />;
}

/** Placeholder rows of a table or list, with the words a screen reader hears while it loads. */
export function SkeletonRows({ label, rows = 3, className }: { label: string; rows?: number; className?: string }) {
  return (
    <div aria-busy="true" className={cn("grid gap-3 rounded-lg border border-line bg-white p-4", className)}>
      <output className="text-sm text-muted">{label}</output>
      {Array.from({ length: rows }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have nothing else to key on
        <Skeleton key={i} className="h-5" style={{ width: `${90 - i * 10}%` }} />
      ))}
    </div>
  );
}
