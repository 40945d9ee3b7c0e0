import type { ComponentProps } from "react";
import { cn } from "./cn";

const BASE = [
  "w-full border-collapse text-left text-sm tabular-nums",
  "[&_:is(th,td)]:border-b [&_:is(th,td)]:border-line [&_:is(th,td)]:px-3 [&_:is(th,td)]:py-2 [&_:is(th,td)]:align-top",
  "[&_thead_th]:bg-surface-muted [&_thead_th]:text-xs [&_thead_th]:font-semibold [&_thead_th]:text-muted",
  "[&_tbody_th]:font-medium [&_tbody_tr:hover]:bg-canvas",
];

/**
 * Below 640 px each row becomes a card: the header row is read by screen readers only and
 * every cell shows its column's name from its `data-label`.
 */
const STACKED = [
  "max-sm:[&_thead]:sr-only",
  "max-sm:[&_tr]:block max-sm:[&_tr]:border-b max-sm:[&_tr]:border-line max-sm:[&_tr]:py-2",
  "max-sm:[&_td]:grid max-sm:[&_td]:grid-cols-[6.5rem_minmax(0,1fr)] max-sm:[&_td]:gap-2 max-sm:[&_td]:border-0 max-sm:[&_td]:px-1 max-sm:[&_td]:py-1",
  "max-sm:[&_td]:justify-items-start max-sm:[&_td]:[overflow-wrap:anywhere] max-sm:[&_td]:before:font-sans max-sm:[&_td]:before:text-xs max-sm:[&_td]:before:leading-5 max-sm:[&_td]:before:text-muted max-sm:[&_td]:before:content-[attr(data-label)]",
];

export interface TableProps extends ComponentProps<"table"> {
  /** Rows become labelled cards on a phone (cells need `data-label`); otherwise the table scrolls sideways. */
  stacked?: boolean;
  /**
   * For a table wider than a phone on purpose: its frame becomes a labelled region in the tab
   * order, so keyboard users can scroll it (axe: scrollable-region-focusable).
   */
  scrollLabel?: string;
}

/** A data table in the house style, inside a frame that scrolls sideways if it must. */
export function Table({ stacked = false, scrollLabel, className, ...props }: TableProps) {
  const table = <table className={cn(BASE, stacked && STACKED, "[&_tbody_tr:last-child_:is(th,td)]:border-b-0", className)} {...props} />;
  const frame = "overflow-x-auto rounded-lg border border-line bg-white";
  return scrollLabel ? (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (axe scrollable-region-focusable)
    <section className={frame} aria-label={scrollLabel} tabIndex={0}>
      {table}
    </section>
  ) : (
    <div className={frame}>{table}</div>
  );
}
