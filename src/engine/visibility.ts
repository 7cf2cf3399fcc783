/**
 * THE visibility rule: a row is live exactly when `deleted_at IS NULL` (see db/schema/columns.ts). Every
 * statement of the engine, read or write, takes its live/deleted/organization conditions from here; a lint
 * rule (eslint.config.js, `softdelete/visibility-in-one-place`) refuses hand-written ones elsewhere.
 *
 * Each predicate takes the table and, for statements that alias or join tables, the qualifier to write
 * before the column: none for single-table raw statements (`"deleted_at" IS NULL`), an alias (`p`), or the
 * table's own name.
 */
import { and, getTableName, sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { SoftDeletableTable } from "./registry.js";

/** LIVE: not deleted (the default). DELETED: the trash. ALL: both. */
export type Visibility = "LIVE" | "DELETED" | "ALL";

/** How a column is written: bare, after an alias, or after the table's name (`"table"."column"`). */
export type Qualifier = undefined | string | { table: SoftDeletableTable };

function column(col: PgColumn, qualifier: Qualifier): SQL {
  const name = sql.identifier(col.name);
  if (qualifier === undefined) return sql`${name}`;
  const prefix = typeof qualifier === "string" ? qualifier : getTableName(qualifier.table);
  return sql`${sql.identifier(prefix)}.${name}`;
}

/** The row is live: `deleted_at IS NULL`. As a selected value, true for a live row. */
export function live(table: SoftDeletableTable, qualifier?: Qualifier): SQL {
  return sql`${column(table.deletedAt, qualifier)} IS NULL`;
}

/** The row is soft-deleted: `deleted_at IS NOT NULL`. As a selected value, true for a deleted row. */
export function deleted(table: SoftDeletableTable, qualifier?: Qualifier): SQL {
  return sql`${column(table.deletedAt, qualifier)} IS NOT NULL`;
}

/** The row belongs to the organization. */
export function inOrganization(table: SoftDeletableTable, organizationId: string, qualifier?: Qualifier): SQL {
  return sql`${column(table.organizationId, qualifier)} = ${organizationId}`;
}

/** The condition `visibility` sets on `table` (none for ALL). */
export function visibilityCondition(
  table: SoftDeletableTable,
  visibility: Visibility,
  qualifier: Qualifier = { table },
): SQL | undefined {
  switch (visibility) {
    case "LIVE":
      return live(table, qualifier);
    case "DELETED":
      return deleted(table, qualifier);
    case "ALL":
      return undefined;
  }
}

/**
 * The organization's rows that `visibility` admits, combined with `extra` in one `and(...)`:
 * drizzle's `.where()` replaces earlier conditions, so callers pass theirs here instead.
 */
export function visibleRows(
  table: SoftDeletableTable,
  organizationId: string,
  visibility: Visibility,
  ...extra: (SQL | undefined)[]
): SQL {
  return and(inOrganization(table, organizationId, { table }), visibilityCondition(table, visibility), ...extra)!;
}
