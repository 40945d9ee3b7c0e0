import { Slot } from "radix-ui";
import type { ComponentProps } from "react";
import { cn } from "./cn";

const VARIANTS = {
  primary: "border-transparent bg-accent text-white hover:bg-accent-hover hover:text-white disabled:bg-muted",
  secondary: "border-subtle bg-white text-ink hover:bg-surface-muted hover:text-ink",
  danger: "border-transparent bg-danger text-white hover:bg-danger-hover hover:text-white disabled:bg-muted",
  ghost: "border-transparent bg-transparent text-ink hover:bg-surface-muted hover:text-ink",
  link: "h-auto border-transparent bg-transparent p-0 font-normal text-accent underline underline-offset-2 hover:text-accent-hover",
} as const;

const SIZES = {
  sm: "min-h-8 px-3 py-1 text-sm",
  md: "min-h-10 px-4 py-2 text-sm",
} as const;

export type ButtonVariant = keyof typeof VARIANTS;

/** The classes of a button, for the few places that style something else as one. */
export function buttonClasses(opts: { variant?: ButtonVariant; size?: keyof typeof SIZES; className?: string } = {}): string {
  const variant = opts.variant ?? "primary";
  return cn(
    "inline-flex cursor-pointer items-center justify-center gap-2 rounded-md border font-semibold no-underline transition-colors",
    "disabled:cursor-progress aria-busy:cursor-progress",
    variant === "link" ? null : SIZES[opts.size ?? "md"],
    VARIANTS[variant],
    opts.className,
  );
}

export interface ButtonProps extends ComponentProps<"button"> {
  variant?: ButtonVariant;
  size?: keyof typeof SIZES;
  /** Render the single child (a link, usually) with the button's look instead of a <button>. */
  asChild?: boolean;
}

export function Button({ variant, size, asChild = false, className, type, ...props }: ButtonProps) {
  const classes = buttonClasses({ variant, size, className });
  if (asChild) return <Slot.Root className={classes} {...props} />;
  return <button type={type ?? "button"} className={classes} {...props} />;
}
