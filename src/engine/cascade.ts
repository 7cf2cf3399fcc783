/**
 * Set-based soft delete and exact restore of a subtree: one statement per relation per level, never one per
 * row. Every changed row gets the operation id and one audit entry from the same statement.
 *
 * Invariant: no live child under a deleted parent over a CASCADE or RESTRICT relation. On PostgreSQL it holds
 * under concurrency because writers that make a child live (create, restore) lock its parents FOR SHARE and
 * re-check them, while a delete updates the parent first (taking its row lock) and reads children after.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { auditFrom, DELETION_FIELDS, type AuditInfo } from "./audit.js";
import { RestrictedError } from "./errors.js";
import { tallyAdd } from "./observer.js";
import type { Entity, RelationDeclaration, Registry } from "./registry.js";
import { c, q, rows, t, uuidArray } from "./sql.js";
import { deleted, inOrganization, live } from "./visibility.js";

export type Counts = Map<string, number>;

const add = (counts: Counts, type: string, n: number) => n && counts.set(type, (counts.get(type) ?? 0) + n);

/** UPDATE … SET deleted_* … WHERE <where> AND live, with its audit entries; returns the changed ids. */
export async function softDeleteWhere(tx: Database, entity: Entity, where: SQL, info: AuditInfo): Promise<string[]> {
  const tb = entity.table;
  const changed = await rows<{ id: string }>(
    tx,
    sql`WITH changed AS (
          UPDATE ${t(entity)} SET ${c(tb.deletedAt)} = now(), ${c(tb.deletedBy)} = ${info.ctx.actor},
            ${c(tb.deletionReason)} = ${info.reason ?? null}, ${c(tb.deletionOperationId)} = ${info.operationId}::uuid
          WHERE ${inOrganization(tb, info.ctx.organizationId)} AND ${live(tb)} AND (${where})
          RETURNING id),
        audit AS (${auditFrom("changed", "SOFT_DELETE", entity.name, info, DELETION_FIELDS)})
        SELECT id FROM changed`,
  );
  tallyAdd(info.tally, "SOFT_DELETE", entity.name, changed.length);
  return changed.map((r) => r.id);
}

async function countLiveChildren(
  tx: Database,
  child: Entity,
  rel: RelationDeclaration,
  parentIds: string[],
  orgId: string,
) {
  const [row] = await rows<{ n: number }>(
    tx,
    sql`SELECT count(*)::int AS n FROM ${t(child)}
        WHERE ${inOrganization(child.table, orgId)} AND ${c(rel.column)} = ANY(${uuidArray(parentIds)})
          AND ${live(child.table)}`,
  );
  return row?.n ?? 0;
}

export interface CascadeOptions {
  maxDepth: number;
}

/**
 * Applies the relations' policies below rows just soft-deleted (`roots`, all of `rootEntity`), level by
 * level, until no live child remains. Returns the rows changed per type, roots excluded.
 * @throws RestrictedError on a RESTRICT relation with live children, or when the cascade would go deeper
 * than `maxDepth`; the caller's transaction then rolls everything back.
 */
export async function cascadeSoftDelete(
  tx: Database,
  registry: Registry,
  rootEntity: Entity,
  roots: string[],
  info: AuditInfo,
  options: CascadeOptions,
): Promise<Counts> {
  const counts: Counts = new Map();
  let frontier = new Map<string, string[]>([[rootEntity.name, roots]]);
  for (let depth = 1; frontier.size > 0; depth++) {
    const next = new Map<string, string[]>();
    for (const [parentName, parentIds] of frontier) {
      for (const rel of registry.childrenOf(parentName)) {
        const child = registry.entity(rel.child);
        if (rel.policy === "RESTRICT" || (rel.policy === "CASCADE" && depth > options.maxDepth)) {
          const n = await countLiveChildren(tx, child, rel, parentIds, info.ctx.organizationId);
          if (n === 0) continue;
          if (rel.policy === "RESTRICT")
            throw new RestrictedError(
              `cannot delete: ${n} live ${child.name} row(s) depend on it through ${rel.name}`,
              {
                relation: rel.name,
                type: child.name,
                count: n,
              },
            );
          throw new RestrictedError(
            `cannot delete: the cascade goes deeper than MAX_CASCADE_DEPTH (${options.maxDepth})`,
            {
              relation: rel.name,
              maxDepth: options.maxDepth,
            },
          );
        }
        if (rel.policy === "CASCADE") {
          const ids = await softDeleteWhere(tx, child, sql`${c(rel.column)} = ANY(${uuidArray(parentIds)})`, info);
          if (ids.length) {
            add(counts, child.name, ids.length);
            next.set(child.name, [...(next.get(child.name) ?? []), ...ids]);
          }
        } else if (rel.policy === "DETACH") {
          add(counts, child.name, await detach(tx, child, rel, parentIds, info));
        }
      }
    }
    frontier = next;
  }
  return counts;
}

/** Clears `rel.column` on every child of `parentIds`, remembering each pair for restore. */
async function detach(tx: Database, child: Entity, rel: RelationDeclaration, parentIds: string[], info: AuditInfo) {
  const tb = child.table;
  const fieldName = Object.entries(tb).find(([, col]) => col === rel.column)?.[0] ?? rel.column.name;
  const done = await rows<{ id: string }>(
    tx,
    sql`WITH old AS (
          SELECT id, ${c(rel.column)} AS parent_id FROM ${t(child)}
          WHERE ${c(tb.organizationId)} = ${info.ctx.organizationId} AND ${c(rel.column)} = ANY(${uuidArray(parentIds)})
          FOR UPDATE),
        changed AS (
          UPDATE ${t(child)} SET ${c(rel.column)} = NULL FROM old WHERE ${q(child, tb.id)} = old.id
          RETURNING ${q(child, tb.id)} AS id, old.parent_id),
        remembered AS (
          INSERT INTO detachments (organization_id, operation_id, relation, child_id, parent_id)
          SELECT ${info.ctx.organizationId}::uuid, ${info.operationId}::uuid, ${rel.name}, id, parent_id FROM changed),
        audit AS (${auditFrom("changed", "UPDATE", child.name, info, [fieldName])})
        SELECT id FROM changed`,
  );
  return done.length;
}

/**
 * The condition that every other parent of a child row (over CASCADE or RESTRICT relations) is live, locking
 * those parents FOR SHARE so that a concurrent delete of one either waits for us or is seen by us.
 */
function otherParentsLive(registry: Registry, child: Entity, except: RelationDeclaration | undefined): SQL {
  const checks = registry
    .parentsOf(child.name)
    .filter((r) => r !== except && (r.policy === "CASCADE" || r.policy === "RESTRICT"))
    .map((r) => {
      const parent = registry.entity(r.parent);
      return sql`(${q(child, r.column)} IS NULL OR EXISTS (
        SELECT 1 FROM ${t(parent)} AS p WHERE p.id = ${q(child, r.column)} AND ${live(parent.table, "p")} FOR SHARE))`;
    });
  return checks.length ? sql.join(checks, sql` AND `) : sql`TRUE`;
}

/** UPDATE … SET deleted_* = NULL for rows matching `where` that are deleted; with audit entries. */
export async function restoreWhere(
  tx: Database,
  registry: Registry,
  entity: Entity,
  where: SQL,
  info: AuditInfo,
  via?: RelationDeclaration,
): Promise<string[]> {
  const tb = entity.table;
  const restored = await rows<{ id: string }>(
    tx,
    sql`WITH changed AS (
          UPDATE ${t(entity)} SET ${c(tb.deletedAt)} = NULL, ${c(tb.deletedBy)} = NULL, ${c(tb.deletionReason)} = NULL,
            ${c(tb.deletionOperationId)} = NULL
          WHERE ${inOrganization(tb, info.ctx.organizationId, { table: tb })} AND ${deleted(tb, { table: tb })}
            AND (${where}) AND ${otherParentsLive(registry, entity, via)}
          RETURNING id),
        audit AS (${auditFrom("changed", "RESTORE", entity.name, info, DELETION_FIELDS)})
        SELECT id FROM changed`,
  );
  tallyAdd(info.tally, "RESTORE", entity.name, restored.length);
  return restored.map((r) => r.id);
}

/**
 * Below rows just restored, restores exactly the rows that `deletionOperationId` deleted through CASCADE
 * relations (children deleted earlier or later by other operations keep their deletion), and re-attaches the
 * references it detached. Children whose other parent is still deleted stay deleted.
 */
export async function cascadeRestore(
  tx: Database,
  registry: Registry,
  rootEntity: Entity,
  roots: string[],
  deletionOperationId: string,
  info: AuditInfo,
): Promise<Counts> {
  const counts: Counts = new Map();
  let frontier = new Map<string, string[]>([[rootEntity.name, roots]]);
  while (frontier.size > 0) {
    const next = new Map<string, string[]>();
    for (const [parentName, parentIds] of frontier) {
      for (const rel of registry.childrenOf(parentName)) {
        const child = registry.entity(rel.child);
        if (rel.policy === "DETACH") {
          add(counts, child.name, await reattach(tx, child, rel, parentIds, deletionOperationId, info));
          continue;
        }
        if (rel.policy === "NONE") continue;
        const ids = await restoreWhere(
          tx,
          registry,
          child,
          sql`${q(child, rel.column)} = ANY(${uuidArray(parentIds)}) AND ${q(child, child.table.deletionOperationId)} = ${deletionOperationId}::uuid`,
          info,
          rel,
        );
        if (ids.length) {
          add(counts, child.name, ids.length);
          next.set(child.name, [...(next.get(child.name) ?? []), ...ids]);
        }
      }
    }
    frontier = next;
  }
  return counts;
}

async function reattach(
  tx: Database,
  child: Entity,
  rel: RelationDeclaration,
  parentIds: string[],
  deletionOperationId: string,
  info: AuditInfo,
) {
  const tb = child.table;
  const fieldName = Object.entries(tb).find(([, col]) => col === rel.column)?.[0] ?? rel.column.name;
  const done = await rows<{ id: string }>(
    tx,
    sql`WITH changed AS (
          UPDATE ${t(child)} SET ${c(rel.column)} = d.parent_id FROM detachments d
          WHERE d.operation_id = ${deletionOperationId}::uuid AND d.relation = ${rel.name}
            AND d.parent_id = ANY(${uuidArray(parentIds)}) AND ${q(child, tb.id)} = d.child_id
            AND ${q(child, rel.column)} IS NULL AND ${q(child, tb.organizationId)} = ${info.ctx.organizationId}
          RETURNING ${q(child, tb.id)} AS id),
        audit AS (${auditFrom("changed", "UPDATE", child.name, info, [fieldName])})
        SELECT id FROM changed`,
  );
  return done.length;
}

export const countsToList = (counts: Counts) => [...counts].map(([type, count]) => ({ type, count }));
