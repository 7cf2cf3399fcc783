import { ConflictError, EngineError, InvalidInputError, RetryableError } from "./errors.js";
import { isConnectionLoss } from "../db/connection-loss.js";
import { isTransient, pgError } from "./pg-errors.js";
import type { Registry } from "./registry.js";

/**
 * Turns the database's constraint errors into the engine's typed errors where they arise:
 * 23505 on a live-rows unique key → CONFLICT naming the key; 23503 → BAD_USER_INPUT; 23502 (a required field
 * left null) → BAD_USER_INPUT naming the field; a deadlock or serialization failure left after the retries, or a
 * lost connection → RETRYABLE.
 */
export function translateDbError(registry: Registry, err: unknown): unknown {
  if (err instanceof EngineError) return err;
  const pg = pgError(err);
  if (!pg) return err;
  if (pg.code === "23505" && pg.constraint) {
    for (const e of registry.entities.values()) {
      const key = e.uniqueKeys.get(pg.constraint);
      if (key) return new ConflictError(e.name, key, pg.constraint);
    }
  }
  if (pg.code === "23503")
    return new InvalidInputError(pg.constraint ?? "reference", "a referenced row does not exist");
  if (pg.code === "23502" && pg.column) {
    const entity = [...registry.entities.values()].find((e) => e.tableName === pg.table);
    const field =
      Object.entries(entity?.table ?? {}).find(([, col]) => (col as { name?: unknown })?.name === pg.column)?.[0] ??
      pg.column;
    return new InvalidInputError(field, `${field} is required and cannot be null`, null);
  }
  if (pg.code === "22P02") return new InvalidInputError("id", "malformed value");
  // inTransaction retried it already: the client may try again (not an INTERNAL_SERVER_ERROR).
  if (isTransient(err)) return new RetryableError();
  return translateConnectionLoss(err);
}

/**
 * A database connection lost under a request, wherever it surfaced (a query, a DataLoader batch, a subscription's
 * read, a single-statement write) → RETRYABLE with outcome UNKNOWN; anything else unchanged. Transactions say
 * more precisely whether their change was applied (`inTransaction`). `httpStatus` for a whole request refused
 * before it ran (503 while authenticating).
 */
export function translateConnectionLoss(err: unknown, httpStatus?: number): unknown {
  if (err instanceof EngineError || !isConnectionLoss(err)) return err;
  return new RetryableError({ outcome: "UNKNOWN", error: err, httpStatus });
}
