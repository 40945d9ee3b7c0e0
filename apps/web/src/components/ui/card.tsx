import type { ComponentProps } from "react";
import { cn } from "./cn";

/** A white panel on the canvas: forms, results, code. */
export function Card({ className, ...props }: ComponentProps<"div">) {
  return <div className={cn("rounded-lg border border-line bg-white p-4 shadow-card sm:p-5", className)} {...props} />;
}
