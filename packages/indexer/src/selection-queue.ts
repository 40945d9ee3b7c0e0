// The workers of one bucket ordered by how often they have been chosen, least first, so the
// index offers under-used workers as candidates before busy ones. Each worker is a row of
// numbers in one Float64Array, stored in visiting order: a search reads the front of the
// array front to back, so the rows it needs are adjacent in memory. (With rows in insertion
// order, a search at 100 000 workers jumped around ~20 MB of rows and took ~1.5–2× as long
// as at 10 000 for the same ~55 workers scanned; in visiting order both take the same.) Rows are grouped in runs of equal selection count. An assignment (count c →
// c + 1) swaps the row to the end of its run and moves the run boundary: O(1). Adding or
// removing a row moves one row per run above it, and fairness keeps the runs few
// (bench:indexer: 20 distinct counts). Rows move; a handle names a row for good.

export class SelectionQueue<T> {
  /** Numbers per row. */
  readonly stride: number;
  #rows: Float64Array;
  /** Position → the row's owner and handle. */
  #owners: (T | undefined)[] = [];
  #handleAt: Int32Array;
  /** Handle → position, or -1 for a free handle. */
  #positionOf: Int32Array;
  /** Handle → selection count. */
  #selections: Float64Array;
  readonly #freeHandles: number[] = [];
  #handles = 0;
  #size = 0;
  /** Distinct selection counts present, ascending, and the exclusive end of each count's run. */
  readonly #counts: number[] = [];
  readonly #ends: number[] = [];
  /** One row held aside while a chain of copies opens a hole for it. */
  readonly #spare: Float64Array;
  #spareOwner: T | undefined;

  constructor(stride: number, initialCapacity = 16) {
    if (!(Number.isInteger(stride) && stride > 0)) throw new Error(`selection queue: stride must be a positive integer, got ${stride}`);
    this.stride = stride;
    this.#spare = new Float64Array(stride);
    this.#rows = new Float64Array(initialCapacity * stride);
    this.#handleAt = new Int32Array(initialCapacity);
    this.#positionOf = new Int32Array(initialCapacity).fill(-1);
    this.#selections = new Float64Array(initialCapacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Rows in visiting order, `stride` numbers each; read positions [0, size) only. Replaced when it grows. */
  get rows(): Float64Array {
    return this.#rows;
  }

  ownerAt(position: number): T | undefined {
    return this.#owners[position];
  }

  /** Where the row of `handle` is now; valid until the next add, remove or setSelections. */
  positionOf(handle: number): number {
    this.#assertLive(handle);
    return this.#positionOf[handle] as number;
  }

  /** Adds a row for `owner` at the end of its run and returns its handle; the caller fills the row. */
  add(owner: T, selections: number): number {
    const handle = this.#freeHandles.pop() ?? this.#newHandle();
    this.#size++;
    // A new row starts beyond the live ones, then moves down into place.
    const position = this.#size - 1;
    this.#owners[position] = owner;
    this.#handleAt[position] = handle;
    this.#positionOf[handle] = position;
    this.#insert(handle, selections);
    return handle;
  }

  remove(handle: number): void {
    this.#assertLive(handle);
    this.#detach(handle);
    this.#size--;
    this.#owners[this.#size] = undefined;
    this.#positionOf[handle] = -1;
    this.#freeHandles.push(handle);
  }

  setSelections(handle: number, selections: number): void {
    this.#assertLive(handle);
    const old = this.#selections[handle] as number;
    if (selections === old) return;
    if (selections !== old + 1) {
      this.#detach(handle);
      this.#insert(handle, selections);
      return;
    }
    // The placer's case: swap to the end of the run, then give that position to the next run.
    const g = this.#runOf(old);
    const last = (this.#ends[g] as number) - 1;
    this.#swap(this.#positionOf[handle] as number, last);
    this.#ends[g] = last;
    this.#selections[handle] = selections;
    if (this.#counts[g + 1] !== selections) {
      this.#counts.splice(g + 1, 0, selections);
      this.#ends.splice(g + 1, 0, last + 1);
    }
    if (last === this.#runStart(g)) this.#dropRun(g);
  }

  /**
   * Moves the row of `handle`, which sits at the first position after all runs, to the end of
   * the run for `selections`: the first row of each higher run moves to that run's end, a
   * chain of single-row copies (a row is ~100 bytes and, in a big bucket, a cache miss).
   */
  #insert(handle: number, selections: number): void {
    const g = this.#lowerBound(selections);
    if (this.#counts[g] !== selections) {
      this.#counts.splice(g, 0, selections);
      this.#ends.splice(g, 0, this.#runStart(g));
    }
    const from = this.#positionOf[handle] as number;
    if (this.#counts.length - 1 > g) this.#saveRow(from);
    let hole = from;
    for (let h = this.#counts.length - 1; h > g; h--) {
      const start = this.#runStart(h);
      this.#copyRow(start, hole);
      hole = start;
      this.#ends[h] = (this.#ends[h] as number) + 1;
    }
    if (hole !== from) this.#restoreRow(hole, handle);
    this.#ends[g] = (this.#ends[g] as number) + 1;
    this.#selections[handle] = selections;
  }

  /** Moves the row of `handle` out past every run: the last row of each run from its own up moves down one run. */
  #detach(handle: number): void {
    const g = this.#runOf(this.#selections[handle] as number);
    const from = this.#positionOf[handle] as number;
    this.#saveRow(from);
    let hole = from;
    for (let h = g; h < this.#counts.length; h++) {
      const last = (this.#ends[h] as number) - 1;
      this.#copyRow(last, hole);
      hole = last;
      this.#ends[h] = last;
    }
    this.#restoreRow(hole, handle);
    if (this.#ends[g] === this.#runStart(g)) this.#dropRun(g);
  }

  #runStart(g: number): number {
    return g > 0 ? (this.#ends[g - 1] as number) : 0;
  }

  #dropRun(g: number): void {
    this.#counts.splice(g, 1);
    this.#ends.splice(g, 1);
  }

  #runOf(selections: number): number {
    const g = this.#lowerBound(selections);
    if (this.#counts[g] !== selections) throw new Error(`selection queue: no run for count ${selections}`);
    return g;
  }

  #swap(a: number, b: number): void {
    if (a === b) return;
    const handle = this.#handleAt[a] as number;
    this.#saveRow(a);
    this.#copyRow(b, a);
    this.#restoreRow(b, handle);
  }

  /** Row `from` (numbers, owner, handle) to position `to`; `from` is left to be overwritten. */
  #copyRow(from: number, to: number): void {
    if (from === to) return;
    const rows = this.#rows;
    const stride = this.stride;
    for (let i = 0, f = from * stride, t = to * stride; i < stride; i++) rows[t + i] = rows[f + i] as number;
    this.#owners[to] = this.#owners[from];
    const handle = this.#handleAt[from] as number;
    this.#handleAt[to] = handle;
    this.#positionOf[handle] = to;
  }

  #saveRow(position: number): void {
    const stride = this.stride;
    for (let i = 0, o = position * stride; i < stride; i++) this.#spare[i] = this.#rows[o + i] as number;
    this.#spareOwner = this.#owners[position];
  }

  #restoreRow(position: number, handle: number): void {
    const stride = this.stride;
    for (let i = 0, o = position * stride; i < stride; i++) this.#rows[o + i] = this.#spare[i] as number;
    this.#owners[position] = this.#spareOwner;
    this.#handleAt[position] = handle;
    this.#positionOf[handle] = position;
  }

  #assertLive(handle: number): void {
    if (!(handle >= 0 && handle < this.#handles && (this.#positionOf[handle] as number) >= 0))
      throw new Error(`selection queue: handle ${handle} is not in the queue`);
  }

  /** Handles and rows grow together: live handles never outnumber rows. */
  #newHandle(): number {
    if (this.#handles === this.#handleAt.length) {
      const capacity = this.#handleAt.length * 2;
      const grow = <A extends Float64Array | Int32Array>(from: A, to: A): A => {
        to.set(from);
        return to;
      };
      this.#rows = grow(this.#rows, new Float64Array(capacity * this.stride));
      this.#handleAt = grow(this.#handleAt, new Int32Array(capacity));
      this.#positionOf = grow(this.#positionOf, new Int32Array(capacity).fill(-1));
      this.#selections = grow(this.#selections, new Float64Array(capacity));
    }
    return this.#handles++;
  }

  #lowerBound(count: number): number {
    let lo = 0;
    let hi = this.#counts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#counts[mid] as number) < count) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
