import { sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import type { OperationContext } from "./context.js";
import { rows } from "./sql.js";

/**
 * Returns the actor row id for the context's subject, creating it on first use (committed on its own, so
 * a later rolled-back operation never leaves the audit trail pointing at nothing). A subject equal to a
 * user's email or id in the organization is linked to that user, which is how erasure finds its actors.
 */
export async function ensureActor(db: Database, ctx: OperationContext): Promise<string> {
  for (let i = 0; i < 2; i++) {
    const found = await rows<{ id: string }>(
      db,
      sql`WITH ins AS (
            INSERT INTO actors (organization_id, subject, user_id)
            VALUES (${ctx.organizationId}, ${ctx.actor},
              (SELECT u.id FROM users u WHERE u.organization_id = ${ctx.organizationId}
                 AND (u.email = ${ctx.actor} OR u.id::text = ${ctx.actor}) LIMIT 1))
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
