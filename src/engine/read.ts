/**
 * Paged reads: keyset pages ordered by (created_at, id), for a whole organization or for many parents in one
 * statement (window functions partitioned by the parent), so a nested relation costs one query per level
 * whatever the number of parents. Every condition on deleted rows comes from `visibleRows`.
 */
import { sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Database } from "../db/database.js";
import type { OperationContext } from "./context.js";
import { InvalidInputError } from "./errors.js";
import type { Entity } from "./registry.js";
import { mapRow, type Row } from "./rows.js";
import { rows, t, uuidArray, isUuid } from "./sql.js";
import { visibleRows, type Visibility } from "./visibility.js";

export interface Cursor {
  /** created_at as PostgreSQL prints it (microseconds kept). */
  at: string;
  id: string;
}

export interface PageArgs {
  first: number;
  after?: Cursor | undefined;
}

export interface Page {
  rows: (Row & { cursor: Cursor })[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  /** A number when computed with the page; a thunk when it costs a query of its own. */
  totalCount: number | (() => Promise<number>);
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.at, c.id])).toString("base64url");
}

export function decodeCursor(value: string | null | undefined, field = "after"): Cursor | undefined {
  if (value === null || value === undefined) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(value, "base64url").toString()) as unknown[];
    if (typeof at === "string" && typeof id === "string" && isUuid(id) && !Number.isNaN(Date.parse(at))) return { at, id };
  } catch {
    // fall through
  }
  throw new InvalidInputError(field, `${field} must be a cursor returned by this API`, value);
}

function afterCursor(table: Entity["table"], after: Cursor | undefined): SQL | undefined {
  return after ? sql`(${table.createdAt}, ${table.id}) > (${after.at}::timestamptz, ${after.id}::uuid)` : undefined;
}

function toPageRows(entity: Entity, raw: Record<string, unknown>[]) {
  return raw.map((r) => {
    const row = mapRow(entity, r);
    return Object.assign(row, { cursor: { at: String(r.__cursor_at), id: row.id } });
  });
}

/** One page of the organization's rows of `entity` matching `where`. */
export async function listPage(
  db: Database,
  entity: Entity,
  ctx: OperationContext,
  visibility: Visibility,
  where: SQL | undefined,
  args: PageArgs,
): Promise<Page> {
  const tb = entity.table;
  const raw = await rows<Record<string, unknown>>(
    db,
    sql`SELECT ${t(entity)}.*, ${tb.createdAt}::text AS __cursor_at FROM ${t(entity)}
        WHERE ${visibleRows(tb, ctx.organizationId, visibility, where, afterCursor(tb, args.after))}
        ORDER BY ${tb.createdAt}, ${tb.id} LIMIT ${args.first + 1}`,
  );
  const pageRows = toPageRows(entity, raw);
  const hasNextPage = pageRows.length > args.first;
  return {
    rows: pageRows.slice(0, args.first),
    hasNextPage,
    hasPreviousPage: !!args.after,
    totalCount: async () => {
      const [r] = await rows<{ n: number }>(
        db,
        sql`SELECT count(*)::int AS n FROM ${t(entity)} WHERE ${visibleRows(tb, ctx.organizationId, visibility, where)}`,
      );
      return r?.n ?? 0;
    },
  };
}

export interface Through {
  /** The pivot entity (e.g. TaskAssignment) and its visibility. */
  pivot: Entity;
  pivotVisibility: Visibility;
  /** Pivot column holding the parent id, and the one holding the target id. */
  parentColumn: PgColumn;
  targetColumn: PgColumn;
}

/**
 * Pages of `entity` rows for many parents at once: rows whose `column` is one of `parentIds`, or, with
 * `through`, rows reached over a pivot table (many-to-many). One statement (two with a cursor).
 */
export async function pagesByParent(
  db: Database,
  entity: Entity,
  ctx: OperationContext,
  visibility: Visibility,
  parentIds: readonly string[],
  args: PageArgs,
  link: { column: PgColumn } | Through,
): Promise<Map<string, Page>> {
  const tb = entity.table;
  const ids = [...new Set(parentIds.filter(isUuid))];
  const pages = new Map<string, Page>();
  if (!ids.length) return pages;
  let parentExpr: SQL;
  let from: SQL;
  let where: SQL;
  if ("pivot" in link) {
    const p = link.pivot;
    parentExpr = sql`${link.parentColumn}`;
    from = sql`${t(p)} JOIN ${t(entity)} ON ${tb.id} = ${link.targetColumn}`;
    where = sql`${visibleRows(p.table, ctx.organizationId, link.pivotVisibility, sql`${link.parentColumn} = ANY(${uuidArray(ids)})`)}
      AND ${visibleRows(tb, ctx.organizationId, visibility)}`;
  } else {
    parentExpr = sql`${link.column}`;
    from = t(entity);
    where = visibleRows(tb, ctx.organizationId, visibility, sql`${link.column} = ANY(${uuidArray(ids)})`);
  }
  const cursorCond = afterCursor(tb, args.after);
  const raw = await rows<Record<string, unknown>>(
    db,
    sql`SELECT * FROM (
          SELECT ${t(entity)}.*, ${parentExpr} AS __parent, ${tb.createdAt}::text AS __cursor_at,
            count(*) OVER (PARTITION BY ${parentExpr})::int AS __total,
            row_number() OVER (PARTITION BY ${parentExpr} ORDER BY ${tb.createdAt}, ${tb.id})::int AS __rn
          FROM ${from} WHERE ${where} ${cursorCond ? sql`AND ${cursorCond}` : sql``}
        ) s WHERE s.__rn <= ${args.first + 1} ORDER BY s.__parent, s.__rn`,
  );
  let totals: Map<string, number> | undefined;
  if (args.after) {
    // With a cursor the window above counts only rows after it: count the whole set separately.
    const counted = await rows<{ parent: string; n: number }>(
      db,
      sql`SELECT ${parentExpr} AS parent, count(*)::int AS n FROM ${from} WHERE ${where} GROUP BY 1`,
    );
    totals = new Map(counted.map((r) => [r.parent, r.n]));
  }
  const grouped = new Map<string, Record<string, unknown>[]>();
  for (const r of raw) {
    const key = String(r.__parent);
    grouped.set(key, [...(grouped.get(key) ?? []), r]);
  }
  for (const id of ids) {
    const group = toPageRows(entity, grouped.get(id) ?? []);
    const total = totals ? (totals.get(id) ?? 0) : Number(grouped.get(id)?.[0]?.__total ?? 0);
    pages.set(id, {
      rows: group.slice(0, args.first),
      hasNextPage: group.length > args.first,
      hasPreviousPage: !!args.after,
      totalCount: total,
    });
  }
  return pages;
}
