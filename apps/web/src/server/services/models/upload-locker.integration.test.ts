import { randomBytes } from "node:crypto";
import { sql } from "@proofgrid/db/sql-client";
import { ERRORS } from "@tus/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { PgUploadLocker } from "./upload-locker.ts";

// The tus uploads' lock across web processes, against real Postgres: two lockers, each with
// its own connection, stand for two web processes (WEB_PROCESSES=2). An upload is held by one
// request at a time wherever the requests land; a holder elsewhere is asked to let go (tus's
// requestRelease) by NOTIFY; a process whose connection dies frees its uploads.

const db = setupServiceDatabase({ name: "upload-locker" });

let a: PgUploadLocker;
let b: PgUploadLocker;
beforeAll(() => {
  a = new PgUploadLocker({ url: db.t.url, applicationName: "upload-locker-test-a" });
  b = new PgUploadLocker({ url: db.t.url, applicationName: "upload-locker-test-b", acquireTimeoutMs: 5_000 });
});
afterAll(async () => {
  await a.close();
  await b.close();
});

const uploadId = () => randomBytes(16).toString("hex");
const never = () => new AbortController().signal;

/** A request holding a lock: counts the times it was asked to let go. */
function holder() {
  const h = { asked: 0, release: () => void h.asked++ };
  return h;
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("PgUploadLocker", () => {
  it("gives an upload to one process at a time: the holder is asked to let go, and the other takes it when it does", async () => {
    const id = uploadId();
    const inA = holder();
    const lockA = a.newLock(id);
    await lockA.lock(never(), inA.release);

    let taken = false;
    const lockB = b.newLock(id);
    const waiting = lockB.lock(never(), holder().release).then(() => {
      taken = true;
    });
    await until(() => inA.asked > 0, 3_000);
    expect(taken).toBe(false);

    await lockA.unlock();
    await waiting;
    expect(taken).toBe(true);
    expect([a.holding, b.holding]).toEqual([0, 1]);
    await lockB.unlock();
    expect(b.holding).toBe(0);
  });

  it("times a wait out when the holder keeps it, and other uploads stay free meanwhile", async () => {
    const id = uploadId();
    const lockA = a.newLock(id);
    await lockA.lock(never(), holder().release);
    const impatient = new PgUploadLocker({ url: db.t.url, applicationName: "upload-locker-test-c", acquireTimeoutMs: 300 });
    try {
      await expect(impatient.newLock(id).lock(never(), holder().release)).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT);
      const other = impatient.newLock(uploadId());
      await other.lock(never(), holder().release);
      await other.unlock();
    } finally {
      await impatient.close();
      await lockA.unlock();
    }
  });

  it("makes two requests of one process take turns (a session's advisory locks are re-entrant, so the process keeps its own)", async () => {
    const id = uploadId();
    const first = holder();
    const lock1 = a.newLock(id);
    await lock1.lock(never(), first.release);
    let second = false;
    const lock2 = a.newLock(id);
    const waiting = lock2.lock(never(), holder().release).then(() => {
      second = true;
    });
    await until(() => first.asked > 0, 3_000);
    await new Promise((r) => setTimeout(r, 150));
    expect(second).toBe(false);
    await lock1.unlock();
    await waiting;
    expect(second).toBe(true);
    await lock2.unlock();
    // Unlocked as often as locked: another process can take it now.
    const lockB = b.newLock(id);
    await lockB.lock(never(), holder().release);
    await lockB.unlock();
  });

  it("frees a dead process's uploads: its connection's end stops the requests that held them, and the other takes them", async () => {
    const id = uploadId();
    const inA = holder();
    const lockA = a.newLock(id);
    await lockA.lock(never(), inA.release);
    await sql().$executeRaw`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'upload-locker-test-a'`;
    await until(() => inA.asked > 0, 3_000);
    expect(a.holding).toBe(0);
    const lockB = b.newLock(id);
    await lockB.lock(never(), holder().release);
    // The dead holder's unlock releases nothing of anyone's.
    await lockA.unlock();
    expect(b.holding).toBe(1);
    await lockB.unlock();
    // And the first process locks again, on a new connection.
    const again = a.newLock(id);
    await again.lock(never(), holder().release);
    await again.unlock();
  });

  it("answers an aborted wait as tus's MemoryLocker does", async () => {
    const id = uploadId();
    const lockA = a.newLock(id);
    await lockA.lock(never(), holder().release);
    const abort = new AbortController();
    const waiting = b.newLock(id).lock(abort.signal, holder().release);
    abort.abort();
    await expect(waiting).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT);
    await lockA.unlock();
  });
});
