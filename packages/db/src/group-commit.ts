import { outsideTransactions, type SqlClient, sqlTransaction } from "./sql-client.ts";

export interface GroupCommitOptions<I, P, R> {
  /** Items settled in one transaction at most. */
  maxItems(): number;
  /** How long the first item of a group waits for more before the group starts (0: at once). */
  windowMs(): number;
  /** Groups whose transactions run at once in this process. */
  maxGroups?: number;
  /**
   * The order items run in within a group. Rows an item locks by this key (a completion's
   * node) are then taken in one order by every group, as by every single transaction.
   */
  orderKey(item: I): string;
  /**
   * An item's first phase, in a savepoint of the group's transaction: if it throws, it alone
   * is rolled back and refused with that error, and the group goes on.
   */
  prepare(tx: SqlClient, item: I): Promise<P>;
  /**
   * The group's second phase, over every item whose first phase succeeded, in the same
   * transaction; returns their results in order. If it throws, the group is rolled back and
   * every item runs `alone`.
   */
  finish(tx: SqlClient, prepared: readonly { item: I; value: P }[]): Promise<R[]>;
  /** One item in a transaction of its own: the path when a group fails as a whole. */
  alone(item: I): Promise<R>;
  /** After a group committed: its size and its transaction's time. */
  onGroup?(size: number, ms: number): void;
}

interface Waiting<I, R> {
  item: I;
  resolve(r: R): void;
  reject(err: unknown): void;
}

type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Group commit: items that arrive while a group's transaction runs wait for the next, which
 * settles them all in one transaction, one COMMIT (one WAL flush) for many. An item's answer
 * comes only after its group committed, so a crash before the COMMIT leaves nothing of any
 * item and its caller, never answered, tries again; a crash after it leaves them all, and a
 * retry finds its result stored. At low load a group holds one item and starts at once
 * (with `windowMs` 0): nothing waits that would not have waited for a connection anyway.
 */
export class GroupCommit<I, P, R> {
  readonly #queue: Waiting<I, R>[] = [];
  #running = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: GroupCommitOptions<I, P, R>) {}

  /** Settles `item` in the next group; resolves once that group has committed. */
  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#queue.length === 0 || this.#running >= (this.opts.maxGroups ?? 2)) return;
    const window = this.opts.windowMs();
    // A full group need not wait for its window (nor for one already running).
    if (window <= 0 || this.#queue.length >= this.opts.maxItems()) {
      this.#start();
      return;
    }
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#start();
    }, window);
  }

  #start(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const group = this.#queue.splice(0, Math.max(1, this.opts.maxItems()));
    if (group.length === 0) return;
    this.#running++;
    // Its transaction is its own, not that of the caller whose submit started it.
    void outsideTransactions(() => this.#run(group)).finally(() => {
      this.#running--;
      this.#schedule();
    });
    // What did not fit may start in a free slot now.
    this.#schedule();
  }

  async #run(group: Waiting<I, R>[]): Promise<void> {
    const sorted = [...group].sort((a, b) => cmp(this.opts.orderKey(a.item), this.opts.orderKey(b.item)));
    const started = performance.now();
    let outcomes: Outcome<R>[];
    try {
      outcomes = await sqlTransaction((tx) => this.#transaction(tx, sorted));
    } catch (err) {
      if (err instanceof Refused && sorted.length === 1) {
        // A group of one refused in its first phase: rolled back whole, answered with its error.
        sorted[0]?.reject(err.reason);
        return;
      }
      // The group as a whole failed (its second phase, its COMMIT, a lost connection):
      // nothing of it committed. Each item runs again alone, and answers for itself.
      await Promise.all(
        sorted.map((w) =>
          this.opts.alone(w.item).then(
            (r) => w.resolve(r),
            (err) => w.reject(err),
          ),
        ),
      );
      return;
    }
    this.opts.onGroup?.(sorted.length, performance.now() - started);
    sorted.forEach((w, i) => {
      const o = outcomes[i];
      if (o?.ok) w.resolve(o.value);
      else w.reject(o ? o.error : new Error("group commit lost an item"));
    });
  }

  /** One run of the group's transaction (run again whole if Postgres aborts it as a deadlock victim). */
  async #transaction(tx: SqlClient, group: readonly Waiting<I, R>[]): Promise<Outcome<R>[]> {
    const only = group.length === 1 ? group[0] : undefined;
    if (only) {
      // Alone in its group (low load, the common case): no savepoint and no lock timeout,
      // four round trips fewer. A refusal rolls the transaction back (Refused).
      let value: P;
      try {
        value = await this.opts.prepare(tx, only.item);
      } catch (error) {
        throw RETRYABLE.has(pgCode(error)) ? error : new Refused(error);
      }
      const [result] = await this.opts.finish(tx, [{ item: only.item, value }]);
      return [{ ok: true, value: result as R }];
    }
    const outcomes: Outcome<R>[] = new Array(group.length);
    const prepared: { item: I; value: P; at: number }[] = [];
    // One item waiting on a row another transaction holds (a node's row under a long check
    // verdict) must not hold every completion of the group, and the next, behind it: past
    // this it is refused alone (a 500 its worker retries) and the group goes on.
    await tx.$executeRaw`SET LOCAL lock_timeout = '1s'`;
    for (const [i, w] of group.entries()) {
      await tx.$executeRaw`SAVEPOINT group_item`;
      try {
        const value = await this.opts.prepare(tx, w.item);
        await tx.$executeRaw`RELEASE SAVEPOINT group_item`;
        prepared.push({ item: w.item, value, at: i });
      } catch (error) {
        // A deadlock or serialization failure: Postgres chose this transaction as the
        // victim, and the whole group runs again (sqlTransaction), as a single one would.
        if (RETRYABLE.has(pgCode(error))) throw error;
        await tx.$executeRaw`ROLLBACK TO SAVEPOINT group_item`;
        await tx.$executeRaw`RELEASE SAVEPOINT group_item`;
        outcomes[i] = { ok: false, error };
      }
    }
    await tx.$executeRaw`SET LOCAL lock_timeout = 0`;
    if (prepared.length > 0) {
      const results = await this.opts.finish(tx, prepared);
      if (results.length !== prepared.length) throw new Error(`group commit: ${results.length} results for ${prepared.length} items`);
      prepared.forEach((p, k) => {
        outcomes[p.at] = { ok: true, value: results[k] as R };
      });
    }
    return outcomes;
  }
}

/** A lone item's first phase refused it: its transaction rolls back, and it is answered with `reason`. */
class Refused extends Error {
  constructor(readonly reason: unknown) {
    super("refused");
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Deadlock and serialization failure: the transaction, not the item, must run again. */
const RETRYABLE = new Set(["40P01", "40001"]);
const pgCode = (err: unknown) => (typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : "");
