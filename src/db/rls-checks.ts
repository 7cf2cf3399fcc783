/**
 * What start-up checks about row-level security on PostgreSQL (src/server/main.ts), after the migrations: whom
 * `DATABASE_URL` logs in as (README, "Two logins"), and that every tenant table is protected (a table added
 * without `softdelete_protect_tenant_table` in its migration would be readable across organizations by the
 * application role: the API still filters, PostgreSQL would not).
 */
import { sql } from "drizzle-orm";
import type { Pool } from "pg";
import type { Database } from "./database.js";
import type { DomainModel } from "../domain/domain-model.js";

/** The engine's own tables that hold one organization's rows (beside the entities' tables). */
const ENGINE_TENANT_TABLES = ["actors", "detachments", "bulk_operations", "audit_log"] as const;

/** Every table row-level security must protect for `model`: its entities' tables and the engine's. */
export function tenantTables(model: DomainModel): string[] {
  return [...[...model.types.values()].map((t) => t.tableName), ...ENGINE_TENANT_TABLES];
}

/** What the role a connection logs in as may do beyond `softdelete_app` (empty: nothing). */
export interface RolePrivileges {
  role: string;
  /** Why the role can get past row-level security or the audit trail's guards, if it can. */
  bypasses: string[];
  /** Whether it may act as `softdelete_app` at all (without it no tenant statement works). */
  canActAsApp: boolean;
}

/** Asks PostgreSQL what `pool`'s login role may do (after migrations: the roles must exist). */
export async function rolePrivileges(pool: Pool): Promise<RolePrivileges> {
  const { rows } = await pool.query<{
    role: string;
    superuser: boolean;
    bypassrls: boolean;
    owner: boolean;
    maintenance: boolean;
    app: boolean;
  }>(
    `SELECT r.rolname AS role, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls,
            EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = 'public.audit_log'::regclass
                      AND pg_has_role(c.relowner, 'MEMBER')) AS owner,
            pg_has_role('softdelete_maintenance', 'MEMBER') AS maintenance,
            pg_has_role('softdelete_app', 'MEMBER') AS app
       FROM pg_roles r WHERE r.rolname = session_user`,
  );
  const r = rows[0]!;
  const bypasses: string[] = [];
  if (r.superuser) bypasses.push("is a superuser");
  else {
    if (r.bypassrls) bypasses.push("has BYPASSRLS");
    if (r.owner) bypasses.push("owns the tables (or may become their owner)");
    if (r.maintenance) bypasses.push("may act as softdelete_maintenance, which sees every organization");
  }
  return { role: r.role, bypasses, canActAsApp: r.app };
}

/**
 * The tables of `tables` (tenant tables: they have organization_id) that lack FORCE ROW LEVEL SECURITY or the
 * tenant_isolation and maintenance policies of `softdelete_protect_tenant_table` (migration 0008). Either driver.
 */
export async function unprotectedTables(db: Database, tables: readonly string[]): Promise<string[]> {
  if (!tables.length) return [];
  const names = sql.join(
    tables.map((t) => sql`${t}`),
    sql`, `,
  );
  const result = (await db.execute(sql`
    SELECT t AS "table" FROM unnest(ARRAY[${names}]::text[]) AS t
     WHERE NOT EXISTS (SELECT 1 FROM pg_class c
                        WHERE c.oid = to_regclass('public.' || quote_ident(t))
                          AND c.relrowsecurity AND c.relforcerowsecurity)
        OR (SELECT count(*) FROM pg_policies p
             WHERE p.schemaname = 'public' AND p.tablename = t
               AND p.policyname IN ('tenant_isolation', 'maintenance')) < 2
     ORDER BY t`)) as unknown as { rows: { table: string }[] };
  return result.rows.map((r) => r.table);
}
