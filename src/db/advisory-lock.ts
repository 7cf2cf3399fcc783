/**
 * A lock that one holder at a time may take, for jobs that must not run twice at once (the retention
 * purge). On PostgreSQL it is a session advisory lock on a dedicated connection of its own, so it spans every
 * instance and is released by the server if the process dies; on PGlite, a single-process database, it is
 * held in memory per database instance.
 */
import type { PGlite } from "@electric-sql/pglite";
import type { DatabaseHandle } from "./database.js";

/** Releases a lock taken by `tryLock`; safe to call twice. */
export type Release = () => Promise<void>;

const heldInProcess = new WeakMap<PGlite | object, Set<number>>();

/**
 * Takes the lock `key` without waiting.
 * @returns its release function, or null when another holder has it.
 */
export async function tryLock(handle: DatabaseHandle, key: number): Promise<Release | null> {
  if (handle.kind === "pglite" || !handle.pool) return tryLocalLock(handle.pglite ?? handle, key);
  const { default: pg } = await import("pg");
  // Not a pool client: the lock must neither take a slot the job's own statements need nor go back to the
  // pool still held.
  const client = new pg.Client(handle.pool.options);
  client.on("error", () => {});
  await client.connect();
  try {
    const result = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [key]);
    if (!result.rows[0]?.locked) {
      await client.end();
      return null;
    }
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    // Closing the session releases the lock even if the unlock fails.
    await client.query("SELECT pg_advisory_unlock($1)", [key]).catch(() => {});
    await client.end().catch(() => {});
  };
}

function tryLocalLock(owner: object, key: number): Release | null {
  let held = heldInProcess.get(owner);
  if (!held) heldInProcess.set(owner, (held = new Set()));
  if (held.has(key)) return null;
  held.add(key);
  return async () => void held.delete(key);
}
