/** Small SQL building blocks shared by the engine's set-based statements. */
import { sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Database } from "../db/database.js";
import type { Entity } from "./registry.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (v: string) => UUID.test(v);

/** Runs a raw statement and returns its rows (both drivers answer `{ rows }`). */
export async function rows<T>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

/**
 * A uuid[] parameter sent as one array literal: one bind parameter whatever the length, and the same text
 * on both drivers. Only ids that passed `isUuid` (or came from the database) may be given.
 */
export function uuidArray(ids: readonly string[]): SQL {
  for (const id of ids) if (!isUuid(id)) throw new Error(`not a uuid: ${id}`);
  return sql`${`{${ids.join(",")}}`}::uuid[]`;
}

export function textArray(values: readonly string[]): SQL {
  return sql`${`{${values.map((v) => `"${v.replace(/["\\]/g, "\\$&")}"`).join(",")}}`}::text[]`;
}

/** The unqualified column name, for SET lists and single-table WHERE clauses. */
export const c = (column: PgColumn): SQL => sql`${sql.identifier(column.name)}`;
/** The table name. */
export const t = (entity: Entity): SQL => sql`${sql.identifier(entity.tableName)}`;
/** A qualified column `"table"."column"`, for subqueries. */
export const q = (entity: Entity, column: PgColumn): SQL => sql`${t(entity)}.${c(column)}`;
