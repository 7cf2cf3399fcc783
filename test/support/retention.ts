/** Helpers for retention, health and erasure tests: trees of rows, and moving deletions into the past. */
import type { Database } from "../../src/db/database.js";
import type { DomainModel } from "../../src/domain/domain-model.js";
import { ENTITY_TABLES, entityTables, query } from "./db.js";

export const TABLES = ENTITY_TABLES;

/** Moves the deletion of every row an operation deleted `days` days into the past (in `model`'s tables). */
export async function ageOperation(db: Database, operationId: string, days: number, model?: DomainModel) {
  for (const table of entityTables(model))
    await query(
      db,
      `UPDATE ${table} SET deleted_at = deleted_at - interval '${days} days' WHERE deletion_operation_id = '${operationId}'`,
    );
}

/** Moves the deletion of one row `days` days into the past. */
export async function ageRow(db: Database, table: string, id: string, days: number) {
  await query(db, `UPDATE ${table} SET deleted_at = deleted_at - interval '${days} days' WHERE id = '${id}'`);
}

/** Moves every deletion of an organization (by slug) `days` days into the past (in `model`'s tables). */
export async function ageDeletions(db: Database, slug: string, days: number, model?: DomainModel) {
  for (const table of entityTables(model))
    await query(
      db,
      `UPDATE ${table} SET deleted_at = deleted_at - interval '${days} days'
       WHERE deleted_at IS NOT NULL AND organization_id = (SELECT id FROM organizations WHERE slug = '${slug}')`,
    );
}

/** Rows per table of an organization (by slug), in every state (in `model`'s tables). */
export async function rowCounts(db: Database, slug: string, model?: DomainModel) {
  const out: Record<string, number> = {};
  for (const table of entityTables(model)) {
    const [r] = await query<{ n: number }>(
      db,
      `SELECT count(*)::int AS n FROM ${table} WHERE organization_id = (SELECT id FROM organizations WHERE slug = '${slug}')`,
    );
    out[table] = r!.n;
  }
  return out;
}

/** Ids per table of one organization, in every state (in `model`'s tables). */
export async function snapshot(db: Database, organizationId: string, model?: DomainModel) {
  const out: Record<string, string[]> = {};
  for (const table of entityTables(model))
    out[table] = (
      await query<{ id: string }>(db, `SELECT id FROM ${table} WHERE organization_id = '${organizationId}' ORDER BY id`)
    ).map((r) => r.id);
  return out;
}

export async function exists(db: Database, table: string, id: string) {
  return (await query(db, `SELECT 1 FROM ${table} WHERE id = '${id}'`)).length === 1;
}

export async function auditCount(db: Database, where = "TRUE") {
  const [r] = await query<{ n: number }>(db, `SELECT count(*)::int AS n FROM audit_log WHERE ${where}`);
  return r!.n;
}
