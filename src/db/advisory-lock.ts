/**
 * A lock that one holder at a time may take, for jobs that must not run twice at once (the retention purge, a
 * bulk operation's worker). On PostgreSQL it is a session advisory lock on a session connection of its own
 * (sessions.ts: DATABASE_DIRECT_URL, never the pool, which may be a pooler in transaction mode), so it spans every
 * instance, takes no slot the job's own statements need, and is released by the server if the process dies. On
 * PGlite, a single-process database, it is held in memory per database instance.
 */
import type { PGlite } from "@electric-sql/pglite";
import type { DatabaseHandle } from "./database.js";
import { openSession } from "./sessions.js";

/**
 * Releases a lock taken by `tryLock`; safe to call twice. `lost()` says whether the lock's session connection
 * went away (server restart, `pg_terminate_backend`): the server released the lock then, and its holder should
 * stop guarding work with it.
 */
export type Release = (() => Promise<void>) & { lost?: () => boolean };

/** One 64-bit key, or a namespace and a text (hashed with PostgreSQL's hashtext). */
export type LockKey = number | readonly [namespace: number, name: string];

const heldInProcess = new WeakMap<PGlite | object, Set<string>>();

/**
 * Takes the lock `key` without waiting.
 * @returns its release function, or null when another holder has it.
 * @throws when the session connection cannot be opened.
 */
export async function tryLock(handle: DatabaseHandle, key: LockKey): Promise<Release | null> {
  if (handle.kind === "pglite" || !handle.direct) return tryLocalLock(handle.pglite ?? handle, key);
  const [take, give, params] =
    typeof key === "number"
      ? ["pg_try_advisory_lock($1)", "pg_advisory_unlock($1)", [key]]
      : ["pg_try_advisory_lock($1, hashtext($2))", "pg_advisory_unlock($1, hashtext($2))", [...key]];
  const client = await openSession(handle, "lock");
  try {
    const result = await client.query<{ locked: boolean }>(`SELECT ${take} AS locked`, params);
    if (!result.rows[0]?.locked) {
      await client.end();
      return null;
    }
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  let released = false;
  let lost = false;
  client.on("error", () => void (lost = true));
  client.on("end", () => void (lost = true));
  const release = async () => {
    if (released) return;
    released = true;
    // Closing the session releases the lock even if the unlock fails.
    if (!lost) await client.query(`SELECT ${give}`, params).catch(() => {});
    await client.end().catch(() => {});
  };
  return Object.assign(release, { lost: () => lost });
}

function tryLocalLock(owner: object, key: LockKey): Release | null {
  const name = typeof key === "number" ? String(key) : `${key[0]}:${key[1]}`;
  let held = heldInProcess.get(owner);
  if (!held) heldInProcess.set(owner, (held = new Set()));
  if (held.has(name)) return null;
  held.add(name);
  return async () => void held.delete(name);
}
