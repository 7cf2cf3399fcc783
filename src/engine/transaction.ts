import type { Database } from "../db/database.js";
import { isTransient } from "./pg-errors.js";

export interface RetryOptions {
  /** @default 5 */
  attempts?: number;
  /** First backoff; doubles per attempt, with jitter. @default 20 */
  baseDelayMs?: number;
}

/**
 * Runs `work` in one transaction, re-running it from the start on a serialization failure or deadlock.
 * Any other error rolls back and propagates.
 */
export async function inTransaction<T>(
  db: Database,
  work: (tx: Database) => Promise<T>,
  retry: RetryOptions = {},
): Promise<T> {
  const attempts = retry.attempts ?? 5;
  const base = retry.baseDelayMs ?? 20;
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction((tx) => work(tx as unknown as Database));
    } catch (err) {
      if (attempt >= attempts || !isTransient(err)) throw err;
      await new Promise((r) => setTimeout(r, base * 2 ** (attempt - 1) * (0.5 + Math.random())));
    }
  }
}

/** Thrown inside a transaction to roll it back on purpose (dry runs); carries the result out. */
export class Rollback<T> extends Error {
  constructor(readonly result: T) {
    super("rollback");
  }
}

/** Runs `work` in a transaction that is always rolled back, and returns what it computed. */
export async function dryRun<T>(db: Database, work: (tx: Database) => Promise<T>): Promise<T> {
  try {
    await inTransaction(db, async (tx) => {
      throw new Rollback(await work(tx));
    });
  } catch (err) {
    if (err instanceof Rollback) return err.result as T;
    throw err;
  }
  throw new Error("unreachable");
}
