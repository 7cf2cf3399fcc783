/**
 * One batch of a bulk operation, run inside the batch's transaction: the same set-based statements as the
 * single-row path (so the same cascade policies, operation id and one audit row per changed row), applied to
 * at most `size` target rows chosen by keyset, never by loading the whole target.
 */
import { and, sql, type SQL } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import type { AuditInfo } from "../audit.js";
import { cascadeRestore, cascadeSoftDelete, restoreWhere, softDeleteWhere } from "../cascade.js";
import { EngineError } from "../errors.js";
import type { Entity, Registry } from "../registry.js";
import { columnOf } from "../rows.js";
import { c, q, rows, t, uuidArray } from "../sql.js";
import type { BatchOutcome, BulkFilter, BulkOperation } from "./types.js";
import { deleted as deletedRow, inOrganization, live } from "../visibility.js";

export interface BatchContext {
  tx: Database;
  registry: Registry;
  info: AuditInfo;
  size: number;
  maxCascadeDepth: number;
}

const bump = (m: Record<string, number>, k: string, n = 1) => {
  if (n) m[k] = (m[k] ?? 0) + n;
};

/**
 * `id = ANY(ids)` bounded by the ids' own range: random uuids spread a batch over the whole table, and without
 * the range PostgreSQL prefers one sequential scan per batch (cost growing with the table, not the batch); with
 * it, a primary-key range scan. Batches are keyset-ordered, so the range holds little else.
 */
export function idsInRange(ids: string[]): SQL {
  let min = ids[0]!;
  let max = ids[0]!;
  for (const id of ids) {
    if (id < min) min = id;
    if (id > max) max = id;
  }
  return sql`id = ANY(${uuidArray(ids)}) AND id BETWEEN ${min.toLowerCase()}::uuid AND ${max.toLowerCase()}::uuid`;
}

/** The SQL condition of a filter target (live rows are added by the caller). */
export function filterCondition(entity: Entity, filter: BulkFilter): SQL | undefined {
  const parts: SQL[] = [];
  for (const [field, id] of Object.entries(filter.references ?? {})) {
    const col = columnOf(entity, field)!;
    parts.push(sql`${c(col)} = ${id}::uuid`);
  }
  if (filter.createdBefore) parts.push(sql`${c(entity.table.createdAt)} < ${filter.createdBefore}::timestamptz`);
  if (filter.createdAfter) parts.push(sql`${c(entity.table.createdAt)} >= ${filter.createdAfter}::timestamptz`);
  return parts.length ? and(...parts) : undefined;
}

/**
 * Soft-deletes `ids` of one type with their cascades. Set-based first; if a policy refuses (RESTRICTED, or
 * the depth limit), the batch is redone row by row under savepoints so that only the refused rows are
 * skipped, with their reason.
 */
async function deleteIds(b: BatchContext, entity: Entity, ids: string[], out: BatchOutcome) {
  const attempt = async (tx: Database, which: string[]) => {
    const changed = await softDeleteWhere(tx, entity, idsInRange(which), b.info);
    const counts = changed.length
      ? await cascadeSoftDelete(tx, b.registry, entity, changed, b.info, { maxDepth: b.maxCascadeDepth })
      : new Map<string, number>();
    return { changed, cascaded: [...counts.values()].reduce((a, n) => a + n, 0) };
  };
  let result: { changed: string[]; cascaded: number };
  const refused = new Set<string>();
  try {
    result = await underSavepoint(b, (sp) => attempt(sp, ids));
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    result = { changed: [], cascaded: 0 };
    for (const id of ids) {
      try {
        const one = await underSavepoint(b, (sp) => attempt(sp, [id]));
        result.changed.push(...one.changed);
        result.cascaded += one.cascaded;
      } catch (e) {
        if (!(e instanceof EngineError)) throw e;
        refused.add(id);
        bump(out.skipped, e.code);
      }
    }
  }
  out.processed += result.changed.length;
  out.cascaded += result.cascaded;
  const changed = new Set(result.changed);
  const missed = ids.filter((id) => !changed.has(id) && !refused.has(id));
  if (missed.length) await classifyMissed(b, entity, missed, out, "ALREADY_DELETED", true);
}

/** Runs `work` under a savepoint; if it rolls back, so does what it added to the transaction's tally. */
async function underSavepoint<T>(b: BatchContext, work: (sp: Database) => Promise<T>): Promise<T> {
  const tally = b.info.tally;
  const before = tally && new Map(tally);
  try {
    return await b.tx.transaction((sp) => work(sp as unknown as Database));
  } catch (err) {
    if (tally && before) {
      tally.clear();
      for (const [k, n] of before) tally.set(k, n);
    }
    throw err;
  }
}

/** Why target rows were left alone: gone/foreign (NOT_FOUND), or already in the wanted state. */
async function classifyMissed(
  b: BatchContext,
  entity: Entity,
  missed: string[],
  out: BatchOutcome,
  sameState: string,
  deleted: boolean,
) {
  const found = await rows<{ id: string; deleted: boolean }>(
    b.tx,
    sql`SELECT id, ${deletedRow(entity.table)} AS deleted FROM ${t(entity)}
        WHERE id = ANY(${uuidArray(missed)}) AND ${inOrganization(entity.table, b.info.ctx.organizationId)}`,
  );
  const state = new Map(found.map((r) => [r.id, r.deleted]));
  for (const id of missed) {
    if (!state.has(id)) bump(out.skipped, "NOT_FOUND");
    else if (state.get(id) === deleted) bump(out.skipped, sameState);
    // Otherwise the row's state is what the operation wanted to change, yet it did not: refused by a policy,
    // already counted by the caller.
  }
}

/** Restores `ids` of one type exactly (each with the rows its own deletion operation took below it). */
async function restoreIds(b: BatchContext, entity: Entity, ids: string[], out: BatchOutcome) {
  const before = await rows<{ id: string; op: string | null }>(
    b.tx,
    sql`SELECT id, ${c(entity.table.deletionOperationId)}::text AS op FROM ${t(entity)}
        WHERE ${idsInRange(ids)} AND ${inOrganization(entity.table, b.info.ctx.organizationId)}
          AND ${deletedRow(entity.table)} FOR UPDATE`,
  );
  const restored = before.length
    ? await restoreWhere(b.tx, b.registry, entity, idsInRange(before.map((r) => r.id)), b.info)
    : [];
  out.processed += restored.length;
  const byOp = new Map<string, string[]>();
  const restoredSet = new Set(restored);
  for (const r of before) if (r.op && restoredSet.has(r.id)) byOp.set(r.op, [...(byOp.get(r.op) ?? []), r.id]);
  for (const [op, group] of byOp) {
    for (const n of (await cascadeRestore(b.tx, b.registry, entity, group, op, b.info)).values()) out.cascaded += n;
  }
  // Deleted but not restored: a parent is still deleted.
  bump(out.skipped, "PARENT_DELETED", before.length - restored.length);
  const missed = ids.filter((id) => !before.some((r) => r.id === id));
  if (missed.length) await classifyMissed(b, entity, missed, out, "NOT_DELETED", false);
}

/** Splits "Type:uuid" keys by type, keeping order. */
function byType(keys: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const k of keys) {
    const i = k.indexOf(":");
    const type = k.slice(0, i);
    m.set(type, [...(m.get(type) ?? []), k.slice(i + 1)]);
  }
  return m;
}

/**
 * The rows a restore of `operationId` starts from: rows it deleted whose parents (over CASCADE/RESTRICT
 * relations) it did not delete. Restoring each with its subtree restores the whole operation.
 */
export function operationRoots(registry: Registry, entity: Entity, operationId: string, orgId: string): SQL {
  const notUnderSameOp = registry
    .parentsOf(entity.name)
    .filter((r) => r.policy === "CASCADE" || r.policy === "RESTRICT")
    .map((r) => {
      const parent = registry.entity(r.parent);
      return sql`NOT EXISTS (SELECT 1 FROM ${t(parent)} AS p WHERE p.id = ${q(entity, r.column)}
        AND p.${c(parent.table.deletionOperationId)} = ${operationId}::uuid)`;
    });
  return and(
    sql`${q(entity, entity.table.organizationId)} = ${orgId}::uuid`,
    sql`${q(entity, entity.table.deletionOperationId)} = ${operationId}::uuid`,
    ...notUnderSameOp,
  )!;
}

/** Entities parents-first: the order a restore of a whole operation walks them. */
export const restoreOrder = (registry: Registry) => [...registry.deletionOrder()].reverse();

export async function runBatch(b: BatchContext, op: BulkOperation): Promise<BatchOutcome> {
  const out: BatchOutcome = { processed: 0, cascaded: 0, skipped: {}, cursor: op.cursor, done: false };
  const target = op.target;
  if ("ids" in target) {
    const offset = typeof op.cursor === "number" ? op.cursor : 0;
    const slice = target.ids.slice(offset, offset + b.size);
    for (const [type, ids] of byType(slice)) {
      const entity = b.registry.entity(type);
      if (op.kind === "SOFT_DELETE") await deleteIds(b, entity, ids, out);
      else await restoreIds(b, entity, ids, out);
    }
    out.cursor = offset + slice.length;
    out.done = offset + slice.length >= target.ids.length;
    return out;
  }
  if ("filter" in target) {
    const entity = b.registry.entity(target.filter.type);
    const after = typeof op.cursor === "string" ? op.cursor : null;
    const batch = await rows<{ id: string }>(
      b.tx,
      sql`SELECT id FROM ${t(entity)}
          WHERE ${inOrganization(entity.table, b.info.ctx.organizationId)} AND ${live(entity.table)}
            ${filterCondition(entity, target.filter) ? sql`AND ${filterCondition(entity, target.filter)}` : sql``}
            ${after ? sql`AND id > ${after}::uuid` : sql``}
          ORDER BY id LIMIT ${b.size}`,
    );
    if (!batch.length) return { ...out, done: true };
    await deleteIds(
      b,
      entity,
      batch.map((r) => r.id),
      out,
    );
    out.cursor = batch.at(-1)!.id;
    out.done = batch.length < b.size;
    return out;
  }
  // Restore of a whole deletion operation: roots of each type, parents' types first, by keyset.
  const order = restoreOrder(b.registry);
  const cur = (op.cursor ?? { type: 0, after: null }) as { type: number; after: string | null };
  for (let ti = cur.type; ti < order.length; ti++) {
    const entity = order[ti]!;
    const after = ti === cur.type ? cur.after : null;
    const batch = await rows<{ id: string }>(
      b.tx,
      sql`SELECT id FROM ${t(entity)} WHERE ${operationRoots(b.registry, entity, target.operationId, b.info.ctx.organizationId)}
            AND ${deletedRow(entity.table, { table: entity.table })} ${after ? sql`AND id > ${after}::uuid` : sql``}
          ORDER BY id LIMIT ${b.size}`,
    );
    if (!batch.length) continue;
    await restoreIds(
      b,
      entity,
      batch.map((r) => r.id),
      out,
    );
    out.cursor = { type: ti, after: batch.at(-1)!.id };
    return out;
  }
  return { ...out, cursor: { type: order.length, after: null }, done: true };
}
