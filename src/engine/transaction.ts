/**
 * Transactions, and whom each acts for.
 *
 * Invariant kept here: with row-level security on, every transaction's first statement makes it act as the
 * application role for one organization, or, on the narrow maintenance path, as the maintenance role for every
 * organization (src/db/tenant-scope.ts): transaction-local settings, so nothing is left on a pooled connection.
 * The scope is the one given, else the async context's (`runAs`, `actFor`).
 */
import { sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { currentTenant, runAs, scopeStatement, type TenantScope } from "../db/tenant-scope.js";
import { isConnectionLoss } from "../db/connection-loss.js";
import { EngineError, RetryableError } from "./errors.js";
import { isTransient } from "./pg-errors.js";

export { APP_ROLE, MAINTENANCE_ROLE } from "../db/tenant-scope.js";

/**
 * Whom a transaction acts for: one organization (PostgreSQL admits its rows only), or every organization
 * (maintenance). `rowLevelSecurity: false` sends no setting at all: the connection's own role then decides (a
 * superuser or a BYPASSRLS role sees everything; any other sees nothing under FORCE), which is only for
 * measuring what RLS costs.
 */
export type TransactionScope = TenantScope & { rowLevelSecurity?: boolean };

export interface RetryOptions {
  /** @default 5 */
  attempts?: number;
  /** First backoff; doubles per attempt, with jitter. @default 20 */
  baseDelayMs?: number;
  /** Whom the transaction acts for. @default the async context's scope (`currentTenant()`), if any */
  scope?: TransactionScope | undefined;
}

/** Makes the current transaction act for `scope`; one statement, both settings transaction-local. */
export async function enterScope(tx: Database, scope: TransactionScope | undefined): Promise<void> {
  if (!scope || scope.rowLevelSecurity === false) return;
  const statement = scopeStatement(scope);
  if (statement) await tx.execute(sql.raw(statement));
}

/**
 * Runs `work` in one transaction, re-running it from the start on a serialization failure or deadlock.
 * A lost database connection becomes RETRYABLE, saying whether the change was rolled back (lost before COMMIT)
 * or may have been applied (lost during COMMIT). Any other error rolls back and propagates.
 */
export async function inTransaction<T>(
  db: Database,
  work: (tx: Database) => Promise<T>,
  retry: RetryOptions = {},
): Promise<T> {
  const attempts = retry.attempts ?? 5;
  const base = retry.baseDelayMs ?? 20;
  const scope = retry.scope ?? currentTenant();
  // Set once `work` is done: a connection lost after that was lost during COMMIT, whose outcome is unknown.
  let committing = false;
  const begin = () =>
    db.transaction(async (tx) => {
      await enterScope(tx as unknown as Database, scope);
      const result = await work(tx as unknown as Database);
      committing = true;
      return result;
    });
  // A scope given explicitly (a bulk batch for its organization, started by the runner's maintenance loop) is
  // also the async context's while the connection is checked out: it decides whose connection that is.
  const { rowLevelSecurity: _rls, ...given } = retry.scope ?? {};
  const checkout =
    retry.scope && retry.scope.rowLevelSecurity !== false ? () => runAs(given as TenantScope, begin) : begin;
  for (let attempt = 1; ; attempt++) {
    committing = false;
    try {
      return await checkout();
    } catch (err) {
      // Not re-run here: a restart takes longer than a retry waits, and the client learns it may send it again.
      if (!(err instanceof EngineError) && isConnectionLoss(err))
        throw new RetryableError({ outcome: committing ? "UNKNOWN" : "NOT_APPLIED", error: err });
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
export async function dryRun<T>(
  db: Database,
  work: (tx: Database) => Promise<T>,
  scope?: TransactionScope,
): Promise<T> {
  try {
    await inTransaction(
      db,
      async (tx) => {
        throw new Rollback(await work(tx));
      },
      { scope },
    );
  } catch (err) {
    if (err instanceof Rollback) return err.result as T;
    throw err;
  }
  throw new Error("unreachable");
}
