import {
  askUploadRelease,
  listenForUploadReleases,
  tryUploadLock,
  UPLOAD_RELEASE_CHANNEL,
  unlockUpload,
} from "@proofgrid/db/models/upload-locks";
import { SESSION_OPTIONS } from "@proofgrid/db/pg-pool";
import { ERRORS, type Lock, type Locker, type RequestRelease } from "@tus/server";
import pg from "pg";
import { logger } from "../../logger.ts";

// The tus uploads' lock across web processes (WEB_PROCESSES > 1, or several machines): a PATCH
// and the HEAD of a client that resumes after a dropped connection can land in two processes,
// and tus's MemoryLocker would let both touch the upload at once (the HEAD reads an offset the
// PATCH is still moving; two PATCHes append at the same offset). Here each upload is locked with
// a session-level Postgres advisory lock, held on one connection of this process, opened at the
// first upload. tus's protocol for a lock that is wanted is kept: the holder is asked to let go
// (`requestRelease`; tus then ends its request within its lockDrainTimeout, 3 s) — directly when
// it is in this process, by NOTIFY when it is in another.
// If that connection drops, Postgres has freed every lock it held: their requests are asked to
// stop at once, and the next lock opens a new connection.

/** What tus's MemoryLocker waits for a lock before a 500. */
const ACQUIRE_TIMEOUT_MS = 30_000;
/** Between tries of a lock another request holds. */
const RETRY_MS = 50;
/** A holder in another process is asked again this often (an ask can cross its taking the lock). */
const ASK_EVERY_MS = 1_000;
const CONNECT_TIMEOUT_MS = 10_000;

/** An upload this process holds, or is taking. Bound: one per upload request in flight. */
interface Held {
  client: pg.Client | undefined;
  holding: boolean;
  release: RequestRelease;
}

export class PgUploadLocker implements Locker {
  readonly #url: string;
  readonly #applicationName: string;
  readonly acquireTimeoutMs: number;
  readonly #held = new Map<string, Held>();
  #client: pg.Client | undefined;
  #connecting: Promise<pg.Client> | undefined;

  constructor(opts: { url: string; applicationName: string; acquireTimeoutMs?: number }) {
    this.#url = opts.url;
    this.#applicationName = opts.applicationName;
    this.acquireTimeoutMs = opts.acquireTimeoutMs ?? ACQUIRE_TIMEOUT_MS;
  }

  newLock(id: string): Lock {
    let mine: Held | undefined;
    return {
      lock: async (signal, requestRelease) => {
        mine = await this.#acquire(id, signal, requestRelease);
      },
      unlock: async () => {
        const held = mine;
        mine = undefined;
        // Gone with its connection (Postgres freed it), or never taken: nothing to release.
        if (!held || this.#held.get(id) !== held) return;
        this.#held.delete(id);
        if (held.client)
          await unlockUpload(held.client, id).catch((err: unknown) => logger.warn({ err, uploadId: id }, "upload lock: unlock failed"));
      },
    };
  }

  /** Uploads this process holds now (what the tests check it forgets). */
  get holding(): number {
    let n = 0;
    for (const h of this.#held.values()) if (h.holding) n++;
    return n;
  }

  async close(): Promise<void> {
    const client = this.#client ?? (await this.#connecting?.catch(() => undefined));
    await client?.end().catch(() => undefined);
  }

  async #acquire(id: string, signal: AbortSignal, requestRelease: RequestRelease): Promise<Held> {
    const deadline = Date.now() + this.acquireTimeoutMs;
    let askedAt = 0;
    // One warning per wait: a database that is down fails every try until the deadline.
    let warned = false;
    for (;;) {
      // tus's MemoryLocker answers an aborted wait as a timeout too.
      if (signal.aborted) throw ERRORS.ERR_LOCK_TIMEOUT;
      const other = this.#held.get(id);
      if (other) {
        // Another request of this process has it: ask it directly, as MemoryLocker does.
        if (other.holding) await other.release();
      } else {
        // Reserved in this process first: a session's advisory locks are re-entrant, so two
        // requests of one process would both "take" it in Postgres.
        const held: Held = { client: undefined, holding: false, release: requestRelease };
        this.#held.set(id, held);
        let client: pg.Client | undefined;
        try {
          client = await this.#connection();
          held.client = client;
          if ((await tryUploadLock(client, id)) && this.#held.get(id) === held) {
            held.holding = true;
            return held;
          }
        } catch (err) {
          if (!warned) logger.warn({ err, uploadId: id }, "upload lock: try failed; trying again until the wait's deadline");
          warned = true;
        }
        if (this.#held.get(id) === held) this.#held.delete(id);
        // Another process holds it: ask it to let go, by NOTIFY.
        if (client && Date.now() - askedAt >= ASK_EVERY_MS) {
          askedAt = Date.now();
          await askUploadRelease(client, id).catch(() => undefined);
        }
      }
      if (Date.now() + RETRY_MS > deadline) throw ERRORS.ERR_LOCK_TIMEOUT;
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }

  #connection(): Promise<pg.Client> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.#url,
      options: SESSION_OPTIONS,
      application_name: this.#applicationName,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    let dropped = false;
    const drop = (err: unknown) => {
      if (dropped) return;
      dropped = true;
      if (this.#client === client) this.#client = undefined;
      // Postgres freed this session's locks: whoever held one through it holds nothing now.
      const lost = [...this.#held].filter(([, h]) => h.client === client);
      for (const [id, h] of lost) {
        this.#held.delete(id);
        if (h.holding) void Promise.resolve(h.release()).catch(() => undefined);
      }
      if (lost.length > 0 || err)
        logger.warn({ err, lost: lost.length }, "upload lock: connection lost; its uploads' requests are stopped");
      client.end().catch(() => undefined);
    };
    client.on("error", drop);
    client.on("end", () => drop(undefined));
    client.on("notification", (msg) => {
      if (msg.channel !== UPLOAD_RELEASE_CHANNEL || !msg.payload) return;
      const held = this.#held.get(msg.payload);
      if (held?.holding && held.client === client) void Promise.resolve(held.release()).catch(() => undefined);
    });
    try {
      await client.connect();
      await listenForUploadReleases(client);
    } catch (err) {
      drop(err);
      throw err;
    }
    this.#client = client;
    return client;
  }
}
