import type { ComponentProps } from "react";
import { cn } from "./cn";

export function PageTitle({ className, ...props }: ComponentProps<"h1">) {
  return <h1 className={cn("mt-6 mb-1 text-2xl font-bold tracking-tight text-ink sm:text-3xl", className)} {...props} />;
}

/** The sentence under a page's title: whose it is and what it is for. */
export function Lede({ className, ...props }: ComponentProps<"p">) {
  return <p className={cn("mb-4 max-w-3xl text-muted", className)} {...props} />;
}

export function SectionTitle({ className, ...props }: ComponentProps<"h2">) {
  return <h2 className={cn("mt-8 mb-2 text-lg font-semibold text-ink", className)} {...props} />;
}

export function Muted({ className, ...props }: ComponentProps<"p">) {
  return <p className={cn("text-[13px] text-muted", className)} {...props} />;
}

/** Preformatted text (JSON, commands) that wraps instead of widening the page. */
export function Pre({ className, ...props }: ComponentProps<"pre">) {
  return (
    <pre
      className={cn(
        "m-0 rounded-lg border border-line bg-white p-4 font-mono text-[13px] leading-relaxed whitespace-pre-wrap [overflow-wrap:anywhere]",
        className,
      )}
      {...props}
    />
  );
}
