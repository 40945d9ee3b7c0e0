"use client";

import { Tabs as Primitive } from "radix-ui";
import type { ComponentProps } from "react";
import { cn } from "./cn";

// Panels behind a row of tabs: arrow keys move between tabs, Tab goes into the panel.
// Built on Radix's Tabs (role="tablist", "tab", "tabpanel").

export const Tabs = Primitive.Root;

export function TabsList({ className, ...props }: ComponentProps<typeof Primitive.List>) {
  return <Primitive.List className={cn("inline-flex flex-wrap gap-1 rounded-md bg-surface-muted p-1", className)} {...props} />;
}

export function TabsTrigger({ className, ...props }: ComponentProps<typeof Primitive.Trigger>) {
  return (
    <Primitive.Trigger
      className={cn(
        "cursor-pointer rounded-sm px-3 py-1.5 text-sm font-medium text-muted hover:text-ink",
        "data-[state=active]:bg-white data-[state=active]:text-ink data-[state=active]:shadow-card",
        className,
      )}
      {...props}
    />
  );
}

export function TabsContent({ className, ...props }: ComponentProps<typeof Primitive.Content>) {
  return <Primitive.Content className={cn("mt-3", className)} {...props} />;
}
