import { sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Database } from "../db/database.js";
import type { OperationContext } from "./context.js";
import type { Registry } from "./registry.js";
import { rows, t } from "./sql.js";

/**
 * The row a subject names, by the registry's subject declaration (the person entity and the fields a subject is
 * compared with); NULL when nothing is declared.
 */
function subjectRow(registry: Registry, ctx: OperationContext): SQL {
  const declared = registry.subjects;
  if (!declared) return sql`NULL::uuid`;
  const entity = registry.entity(declared.entity);
  const columns = entity.table as unknown as Record<string, PgColumn>;
  const matches = declared.fields.map((f) => sql`p.${sql.identifier(columns[f]!.name)}::text = ${ctx.actor}`);
  return sql`(SELECT p.id FROM ${t(entity)} p WHERE p.${sql.identifier(entity.table.organizationId.name)} = ${ctx.organizationId}
                AND (${sql.join(matches, sql` OR `)}) LIMIT 1)`;
}

/**
 * Returns the actor row id for the context's subject, creating it on first use (committed on its own, so
 * a later rolled-back operation never leaves the audit trail pointing at nothing). A subject equal to one of the
 * declared subject fields of a row of the person entity (see `Registry.subjects`; in the example domain a user's
 * email or id) is linked to that row, which is how erasure finds its actors.
 */
export async function ensureActor(db: Database, registry: Registry, ctx: OperationContext): Promise<string> {
  for (let i = 0; i < 2; i++) {
    const found = await rows<{ id: string }>(
      db,
      sql`WITH ins AS (
            INSERT INTO actors (organization_id, subject, user_id)
            VALUES (${ctx.organizationId}, ${ctx.actor}, ${subjectRow(registry, ctx)})
            ON CONFLICT (organization_id, subject) DO NOTHING
            RETURNING id)
          SELECT id FROM ins
          UNION ALL
          SELECT id FROM actors WHERE organization_id = ${ctx.organizationId} AND subject = ${ctx.actor}
          LIMIT 1`,
    );
    // Empty only when a concurrent first use inserted the row after this statement's snapshot: ask again.
    if (found[0]) return found[0].id;
  }
  throw new Error(`could not resolve actor ${ctx.actor}`);
}
