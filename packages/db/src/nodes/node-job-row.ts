/**
 * A row of `jobs` as the services a node calls (completing or handing back a job) read it,
 * enums as `::text`. Each query selects the columns it needs: a `Pick` of this type. int8
 * columns (`price`, `unit_price`) come as decimal strings from the pg client and as bigints
 * from Prisma: callers convert with BigInt().
 */
export interface NodeJobRow {
  id: string;
  org_id: string;
  state: string;
  node_id: string | null;
  /** The fencing token: only the node holding the current attempt may finish it. */
  attempt: number;
  max_attempts: number;
  /** What the hold took from the customer (at its cap); the charge once settled. */
  price: bigint | string;
  model_id: string;
  input_hash: string;
  output_hash: string | null;
  /** The countersigned receipt, once it succeeded. */
  receipt: unknown;
  purpose: string;
  cost_milli_cu: number;
  /** The worker's ask fixed at assignment; null: charged the hold. */
  unit_price: bigint | string | null;
}
