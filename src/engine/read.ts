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

/**
 * Whether `value` is a timestamp as PostgreSQL prints one (`2026-01-31 12:00:00.123456+00`, or ISO with `T`)
 * and would read back: a real calendar date from year 1 to 9999 and a valid offset. `Date.parse` alone accepts
 * strings PostgreSQL rejects (`"1"`, year 0, February 31st), which would fail the query.
 */
export function isTimestamp(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-](\d{2})(?::?(\d{2}))?)$/.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day));
  date.setUTCFullYear(year);
  return (
    year >= 1 &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    Number(m[9] ?? 0) <= 15 &&
    Number(m[10] ?? 0) < 60
  );
}

export function decodeCursor(value: string | null | undefined, field = "after"): Cursor | undefined {
  if (value === null || value === undefined) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(value, "base64url").toString()) as unknown[];
    if (typeof at === "string" && typeof id === "string" && isUuid(id) && isTimestamp(at)) return { at, id };
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

function linkParts(
  entity: Entity,
  ctx: OperationContext,
  visibility: Visibility,
  link: { column: PgColumn } | Through,
) {
  const tb = entity.table;
  if ("pivot" in link) {
    const p = link.pivot;
    return {
      parentExpr: sql`${link.parentColumn}`,
      from: sql`${t(p)} JOIN ${t(entity)} ON ${tb.id} = ${link.targetColumn}`,
      where: sql`${visibleRows(p.table, ctx.organizationId, link.pivotVisibility)} AND ${visibleRows(tb, ctx.organizationId, visibility)}`,
    };
  }
  return { parentExpr: sql`${link.column}`, from: t(entity), where: visibleRows(tb, ctx.organizationId, visibility) };
}

/**
 * Pages of `entity` rows for many parents at once: rows whose `column` is one of `parentIds`, or, with
 * `through`, rows reached over a pivot table (many-to-many). One statement: a LATERAL keyset page per parent,
 * each an index range scan that stops after `first + 1` rows. `totalCount` is left to `count`, called only
 * when a client asks for it (see `countsByParent`).
 */
export async function pagesByParent(
  db: Database,
  entity: Entity,
  ctx: OperationContext,
  visibility: Visibility,
  parentIds: readonly string[],
  args: PageArgs,
  link: { column: PgColumn } | Through,
  count: (parentId: string) => Promise<number>,
): Promise<Map<string, Page>> {
  const tb = entity.table;
  const ids = [...new Set(parentIds.filter(isUuid))];
  const pages = new Map<string, Page>();
  if (!ids.length) return pages;
  const { parentExpr, from, where } = linkParts(entity, ctx, visibility, link);
  const cursorCond = afterCursor(tb, args.after);
  const raw = await rows<Record<string, unknown>>(
    db,
    sql`SELECT x.* FROM unnest(${uuidArray(ids)}) AS parent(id) CROSS JOIN LATERAL (
          SELECT ${t(entity)}.*, parent.id AS __parent, ${tb.createdAt}::text AS __cursor_at
          FROM ${from} WHERE ${parentExpr} = parent.id AND ${where} ${cursorCond ? sql`AND ${cursorCond}` : sql``}
          ORDER BY ${tb.createdAt}, ${tb.id} LIMIT ${args.first + 1}) x`,
  );
  const grouped = new Map<string, Record<string, unknown>[]>();
  for (const r of raw) {
    const key = String(r.__parent);
    let group = grouped.get(key);
    if (!group) grouped.set(key, (group = []));
    group.push(r);
  }
  for (const id of ids) {
    const group = toPageRows(entity, grouped.get(id) ?? []);
    pages.set(id, {
      rows: group.slice(0, args.first),
      hasNextPage: group.length > args.first,
      hasPreviousPage: !!args.after,
      totalCount: () => count(id),
    });
  }
  return pages;
}

/** How many rows `pagesByParent` would page through, per parent: one GROUP BY statement. */
export async function countsByParent(
  db: Database,
  entity: Entity,
  ctx: OperationContext,
  visibility: Visibility,
  parentIds: readonly string[],
  link: { column: PgColumn } | Through,
): Promise<Map<string, number>> {
  const ids = [...new Set(parentIds.filter(isUuid))];
  if (!ids.length) return new Map();
  const { parentExpr, from, where } = linkParts(entity, ctx, visibility, link);
  const counted = await rows<{ parent: string; n: number }>(
    db,
    sql`SELECT ${parentExpr} AS parent, count(*)::int AS n FROM ${from}
        WHERE ${parentExpr} = ANY(${uuidArray(ids)}) AND ${where} GROUP BY 1`,
  );
  return new Map(counted.map((r) => [String(r.parent), r.n]));
}
