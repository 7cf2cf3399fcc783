/**
 * THE visibility rule. Every read of a soft-deletable table, at every level (lists, single fetches, node,
 * relations, counts), takes its condition from `visibleRows`; nothing else writes `deleted_at IS NULL`.
 */
import { and, eq, isNotNull, isNull, type SQL } from "drizzle-orm";
import type { SoftDeletableTable } from "./registry.js";

/** LIVE: not deleted (the default). DELETED: the trash. ALL: both. */
export type Visibility = "LIVE" | "DELETED" | "ALL";

export function visibilityCondition(table: SoftDeletableTable, visibility: Visibility): SQL | undefined {
  switch (visibility) {
    case "LIVE":
      return isNull(table.deletedAt);
    case "DELETED":
      return isNotNull(table.deletedAt);
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
  return and(eq(table.organizationId, organizationId), visibilityCondition(table, visibility), ...extra)!;
}
