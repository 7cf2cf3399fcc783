import { ConflictError, EngineError, InvalidInputError } from "./errors.js";
import { pgError } from "./pg-errors.js";
import type { Registry } from "./registry.js";

/**
 * Turns the database's constraint errors into the engine's typed errors where they arise:
 * 23505 on a live-rows unique key → CONFLICT naming the key; 23503 → BAD_USER_INPUT.
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
  if (pg.code === "22P02") return new InvalidInputError("id", "malformed value");
  return err;
}
