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

/** Maps a raw `SELECT *` row (database column names) to field names; extra columns pass through as-is. */
export function mapRow(entity: Entity, raw: Record<string, unknown>): Row {
  const out: Record<string, unknown> = { ...raw };
  for (const [dbName, key] of columnMap(entity)) {
    if (dbName in raw) {
      const v = raw[dbName];
      if (dbName !== key) delete out[dbName];
      out[key] = v;
    }
  }
  for (const k of ["createdAt", "updatedAt", "deletedAt"]) {
    const v = out[k];
    if (typeof v === "string") out[k] = new Date(v);
  }
  return out as Row;
}

/** The database column name of a field, or undefined. */
export function columnOf(entity: Entity, field: string): PgColumn | undefined {
  const col = (entity.table as unknown as Record<string, PgColumn>)[field];
  return col && typeof col === "object" && "columnType" in col ? col : undefined;
}
