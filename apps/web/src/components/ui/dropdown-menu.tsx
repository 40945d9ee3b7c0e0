"use client";

import { DropdownMenu as Primitive } from "radix-ui";
import type { ComponentProps } from "react";
import { cn } from "./cn";

// A menu of actions behind a button: arrow keys move, typing jumps, Escape closes and
// returns focus to the button. Built on Radix's DropdownMenu (role="menu").

export const DropdownMenu = Primitive.Root;
export const DropdownMenuTrigger = Primitive.Trigger;
export const DropdownMenuGroup = Primitive.Group;
export const DropdownMenuRadioGroup = Primitive.RadioGroup;

export function DropdownMenuContent({ className, sideOffset = 6, ...props }: ComponentProps<typeof Primitive.Content>) {
  return (
    <Primitive.Portal>
      <Primitive.Content
        sideOffset={sideOffset}
        collisionPadding={8}
        className={cn(
          "z-50 min-w-56 max-w-[calc(100vw-1rem)] rounded-md border border-line bg-white p-1 text-sm text-ink shadow-pop",
          className,
        )}
        {...props}
      />
    </Primitive.Portal>
  );
}

const ITEM =
  "relative flex cursor-pointer select-none items-center gap-2 rounded-sm px-2 py-1.5 text-ink no-underline outline-none data-[disabled]:cursor-default data-[disabled]:text-muted data-[highlighted]:bg-accent-soft data-[highlighted]:text-accent-ink";

export function DropdownMenuItem({ className, ...props }: ComponentProps<typeof Primitive.Item>) {
  return <Primitive.Item className={cn(ITEM, className)} {...props} />;
}

/** A choice of one; the chosen item shows a dot. */
export function DropdownMenuRadioItem({ className, children, ...props }: ComponentProps<typeof Primitive.RadioItem>) {
  return (
    <Primitive.RadioItem className={cn(ITEM, "pl-7", className)} {...props}>
      <Primitive.ItemIndicator className="absolute left-2.5 inline-flex">
        <span aria-hidden="true" className="size-2 rounded-full bg-accent" />
      </Primitive.ItemIndicator>
      {children}
    </Primitive.RadioItem>
  );
}

export function DropdownMenuLabel({ className, ...props }: ComponentProps<typeof Primitive.Label>) {
  return <Primitive.Label className={cn("px-2 py-1.5 text-xs text-muted", className)} {...props} />;
}

export function DropdownMenuSeparator({ className, ...props }: ComponentProps<typeof Primitive.Separator>) {
  return <Primitive.Separator className={cn("-mx-1 my-1 h-px bg-line", className)} {...props} />;
}
