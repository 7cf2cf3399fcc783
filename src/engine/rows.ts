import type { PgColumn } from "drizzle-orm/pg-core";
import type { Entity } from "./registry.js";

/** A row as the engine hands it out: the table's fields by their TypeScript names. */
export type Row = Record<string, unknown> & {
  id: string;
  organizationId: string;
  deletedAt: Date | null;
  createdAt: Date;
};

const maps = new WeakMap<Entity, [string, string][]>();

function columnMap(entity: Entity): [string, string][] {
  let m = maps.get(entity);
  if (!m) {
    m = Object.entries(entity.table as unknown as Record<string, PgColumn>)
      .filter(([, col]) => col && typeof col === "object" && "columnType" in col)
      .map(([key, col]) => [col.name, key]);
    maps.set(entity, m);
  }
  return m;
}

/**
 * Maps a raw `SELECT *` row (database column names) to field names; extra columns (e.g. `__cursor_at`) pass
 * through as they are. Builds a fresh object in one pass: this runs for every row of every page.
 */
export function mapRow(entity: Entity, raw: Record<string, unknown>): Row {
  let byDb = indexes.get(entity);
  if (!byDb) indexes.set(entity, (byDb = new Map(columnMap(entity))));
  const out: Record<string, unknown> = {};
  for (const k in raw) {
    const key = byDb.get(k);
    let v = raw[k];
    if (key === undefined) out[k] = v;
    else {
      if (typeof v === "string" && (key === "createdAt" || key === "updatedAt" || key === "deletedAt")) v = new Date(v);
      out[key] = v;
    }
  }
  return out as Row;
}

const indexes = new WeakMap<Entity, Map<string, string>>();

/** The database column name of a field, or undefined. */
export function columnOf(entity: Entity, field: string): PgColumn | undefined {
  const col = (entity.table as unknown as Record<string, PgColumn>)[field];
  return col && typeof col === "object" && "columnType" in col ? col : undefined;
}
