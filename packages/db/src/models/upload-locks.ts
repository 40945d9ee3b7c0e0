// The statements of the model uploads' lock (apps/web/src/server/services/models/upload-locker.ts):
// a session-level advisory lock per upload, held on one connection of each web process, and a
// NOTIFY channel on which a request that wants an upload asks whoever holds it to let go.
// Session-level: the lock lives as long as the connection, so a process that dies frees its
// uploads with it. This needs a direct connection (or PgBouncer in session mode): under
// transaction pooling neither the lock nor the LISTEN would stay on one server session.
import type pg from "pg";

/** Where a request that waits for an upload's lock asks its holder to release it (payload: the upload id). */
export const UPLOAD_RELEASE_CHANNEL = "proofgrid_upload_release";

/** The lock's key: its own namespace within the 64-bit advisory keys (the leader's and the migrator's are small integers). */
const keyOf = (uploadId: string) => `proofgrid-upload:${uploadId}`;

/** Takes the upload's lock for this connection's session if no session holds it; true when taken. */
export async function tryUploadLock(client: pg.ClientBase, uploadId: string): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok", [keyOf(uploadId)]);
  return rows[0]?.ok === true;
}

/** Releases the upload's lock held by this connection's session; false when it held none (a new connection). */
export async function unlockUpload(client: pg.ClientBase, uploadId: string): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>("SELECT pg_advisory_unlock(hashtextextended($1, 0)) AS ok", [keyOf(uploadId)]);
  return rows[0]?.ok === true;
}

/** Asks the holder of the upload's lock, in whichever process, to let go (its request is cancelled). */
export async function askUploadRelease(client: pg.ClientBase, uploadId: string): Promise<void> {
  await client.query("SELECT pg_notify($1, $2)", [UPLOAD_RELEASE_CHANNEL, uploadId]);
}

export async function listenForUploadReleases(client: pg.ClientBase): Promise<void> {
  await client.query(`LISTEN ${UPLOAD_RELEASE_CHANNEL}`);
}
