import type { ComponentProps, ReactElement, ReactNode } from "react";
import { cn } from "./cn";
import { Table, type TableProps } from "./table";

/** `data-*` attributes, which pages and browser tests use to find a row or a cell. */
type DataAttributes = { [name: `data-${string}`]: string | number | boolean | undefined };

export type DataTableRowProps = Omit<ComponentProps<"tr">, "children" | "key" | "ref"> & DataAttributes;
export type DataTableCellProps = Omit<ComponentProps<"td">, "children" | "ref"> & DataAttributes;

const ALIGN = { left: "text-left", center: "text-center", right: "text-right" } as const;

interface ColumnBase<Row> {
  /** Unique within the table; React's key for the column's cells. */
  id: string;
  /** What the column's cell shows for one row. */
  cell: (row: Row) => ReactNode;
  /** Aligns the header and the cells alike (numbers read best right-aligned). */
  align?: keyof typeof ALIGN;
  /**
   * The cell names its row: written as `<th scope="row">` instead of `<td>`. A `stacked` table lays
   * out only `<td>` cells as labelled lines of the card, so there it stands as the card's title.
   */
  rowHeader?: boolean;
  /** Classes of every body cell of the column. */
  className?: string;
  /** Classes of the column's header cell. */
  headerClassName?: string;
  /** Attributes of one row's cell, e.g. a `data-*` hook; its `className` joins the column's. */
  cellProps?: (row: Row) => DataTableCellProps;
}

/**
 * One column. A plain string header also names each cell (`data-label`, shown on a phone by
 * a `stacked` table), so the two cannot drift; `label` replaces it only where the card needs a
 * shorter name. A header that is not a string must say its `label`.
 */
export type DataTableColumn<Row> = ColumnBase<Row> &
  (
    | {
        header: string;
        /** Read by screen readers only (an actions column), yet still each cell's label. */
        hideHeader?: boolean;
        label?: string;
      }
    | { header: ReactElement; hideHeader?: never; label: string }
  );

export interface DataTableProps<Row> extends Omit<TableProps, "children"> {
  columns: readonly DataTableColumn<Row>[];
  rows: readonly Row[];
  /** Stable and unique per row (an id, not the index): React's key for the row. */
  rowKey: (row: Row) => string;
  /** Attributes of one row's `<tr>`, e.g. its `data-*` hook or a muted class. */
  rowProps?: (row: Row) => DataTableRowProps;
  /** The table's `<caption>`, read by screen readers only unless `showCaption`. */
  caption?: ReactNode;
  showCaption?: boolean;
  /** Shown instead of the table when there are no rows; without it an empty table keeps its header. */
  empty?: ReactNode;
}

const classes = (...inputs: (string | false | undefined)[]) => cn(...inputs) || undefined;

/**
 * A `Table` written from a typed column list: the header row (`scope="col"`), one row per item,
 * and each cell's `data-label` from its column, so a `stacked` table's phone cards always name
 * their fields as the header does.
 */
export function DataTable<Row>({ columns, rows, rowKey, rowProps, caption, showCaption = false, empty, ...table }: DataTableProps<Row>) {
  if (rows.length === 0 && empty !== undefined) return <>{empty}</>;
  return (
    <Table {...table}>
      {caption !== undefined ? <caption className={showCaption ? undefined : "sr-only"}>{caption}</caption> : null}
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.id} scope="col" className={classes(c.align && ALIGN[c.align], c.headerClassName)}>
              {c.hideHeader ? <span className="sr-only">{c.header}</span> : c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={rowKey(row)} {...rowProps?.(row)}>
            {columns.map((c) => {
              const { className, ...props }: DataTableCellProps = c.cellProps?.(row) ?? {};
              const cell = {
                ...props,
                "data-label": c.label ?? (typeof c.header === "string" ? c.header : undefined),
                className: classes(c.align && ALIGN[c.align], c.className, className),
              };
              return c.rowHeader ? (
                <th key={c.id} {...cell} scope="row">
                  {c.cell(row)}
                </th>
              ) : (
                <td key={c.id} {...cell}>
                  {c.cell(row)}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
