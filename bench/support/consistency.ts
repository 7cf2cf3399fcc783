/**
 * What the benches check after seeding and after every measured write, derived from the domain model so that a
 * new entity or relation is checked with no new SQL here:
 * - no live row references a deleted parent over a relation whose policy keeps that from happening (CASCADE and
 *   RESTRICT never leave such a child live, DETACH clears the reference); NONE relations may, by design;
 * - one audit entry per changed row, under the operation's id.
 */
import type { DomainModel } from "../../src/domain/domain-model.js";
import { MODEL } from "../../src/domain/model.js";
import type { DeletionPolicy } from "../../src/engine/registry.js";

/** The policies under which a live child never references a deleted parent. */
const GUARDED: readonly DeletionPolicy[] = ["CASCADE", "RESTRICT", "DETACH"];

/** The smallest client the checks need: node-postgres clients and pools, and PGlite, all fit. */
export interface Queryable {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * One statement, one row: per guarded relation of `model` (column named after the relation, e.g.
 * "Project.tasks"), how many live rows reference a deleted parent. All must be 0.
 */
export function consistencySql(model: DomainModel = MODEL): string {
  const counts = model.relationDeclarations
    .filter((r) => GUARDED.includes(r.policy))
    .map(
      (r) =>
        `  (SELECT count(*) FROM ${model.type(r.child).tableName} c JOIN ${model.type(r.parent).tableName} p ` +
        `ON p.id = c.${r.column.name}\n     WHERE c.deleted_at IS NULL AND p.deleted_at IS NOT NULL)::int AS "${r.name}"`,
    );
  return `SELECT\n${counts.join(",\n")}`;
}

/**
 * Throws when a live row references a deleted parent over a guarded relation.
 * @param when what just happened, named in the error, e.g. "after seeding"
 */
export async function checkConsistency(client: Queryable, when: string, model: DomainModel = MODEL): Promise<void> {
  const { rows } = await client.query<Record<string, number>>(consistencySql(model));
  const broken = Object.entries(rows[0]!).filter(([, n]) => n !== 0);
  if (broken.length)
    throw new Error(`${when}: live rows under deleted parents: ${broken.map(([r, n]) => `${r} ${n}`).join(", ")}`);
}

/**
 * Audit entries written under `operationId` with `action` (of `entityType` only, when given): a write that
 * changed n rows wrote exactly n.
 */
export async function auditEntries(
  client: Queryable,
  operationId: string,
  action: "SOFT_DELETE" | "RESTORE",
  entityType?: string,
): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM audit_log WHERE operation_id = $1 AND action = $2` +
      (entityType ? ` AND entity_type = $3` : ""),
    entityType ? [operationId, action, entityType] : [operationId, action],
  );
  return rows[0]!.n;
}
