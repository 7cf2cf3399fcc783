/**
 * Row-level security from below: hand-written SQL with no organization filter, run as the application role
 * with the organization set to acme, sees and changes no demo row in any tenant table (SELECT, UPDATE,
 * DELETE, INSERT); without the setting it sees nothing. The maintenance role sees every organization.
 * Every transaction here is rolled back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import type { Database } from "../../src/db/database.js";
import { tenantTables, unprotectedTables } from "../../src/db/rls-checks.js";
import { MODEL } from "../../src/domain/model.js";
import { APP_ROLE, enterScope, MAINTENANCE_ROLE, Rollback } from "../../src/engine/transaction.js";
import { openTestDatabase, query, type TestDatabase } from "../support/db.js";

/** Every table holding one organization's rows. */
const TENANT_TABLES = [
  "users",
  "projects",
  "tasks",
  "comments",
  "task_assignments",
  "actors",
  "detachments",
  "bulk_operations",
  "audit_log",
  "audit_chain_heads",
];

const pgCode = (err: unknown): unknown =>
  (err as { cause?: { code?: unknown } })?.cause?.code ?? (err as { code?: unknown })?.code;

/** Runs `work` in a transaction that is rolled back whatever happens. */
async function rolledBack<T>(db: Database, work: (tx: Database) => Promise<T>): Promise<T> {
  try {
    await db.transaction(async (tx) => {
      throw new Rollback(await work(tx as unknown as Database));
    });
  } catch (err) {
    if (err instanceof Rollback) return err.result as T;
    throw err;
  }
  throw new Error("unreachable");
}

/** The error code of `statement` run in a savepoint, or "ok". */
async function attempt(tx: Database, statement: string): Promise<unknown> {
  try {
    await tx.transaction(async (sp) => void (await query(sp as unknown as Database, statement)));
    return "ok";
  } catch (err) {
    return pgCode(err);
  }
}

describe("row-level security from below", () => {
  let db: TestDatabase;
  let acme: string;
  let demo: string;
  /** Rows per table and organization, as the owner sees them. */
  const counts = new Map<string, { acme: number; demo: number }>();

  beforeAll(async () => {
    db = await openTestDatabase({ seeded: true });
    const orgs = await query<{ id: string; slug: string }>(db.db, `SELECT id, slug FROM organizations`);
    acme = orgs.find((o) => o.slug === "acme")!.id;
    demo = orgs.find((o) => o.slug === "demo")!.id;
    for (const table of TENANT_TABLES) {
      const [r] = await query<{ acme: number; demo: number }>(
        db.db,
        `SELECT count(*) FILTER (WHERE organization_id = '${acme}')::int AS acme,
                count(*) FILTER (WHERE organization_id = '${demo}')::int AS demo FROM ${table}`,
      );
      counts.set(table, r!);
    }
  });
  afterAll(async () => db?.close());

  it("the seed gives both organizations rows in the tables the checks below rely on", () => {
    for (const table of ["users", "projects", "tasks", "comments", "task_assignments", "actors", "audit_log"])
      expect(counts.get(table), table).toMatchObject({ acme: expect.any(Number), demo: expect.any(Number) });
    expect(counts.get("users")!.demo).toBeGreaterThan(0);
    expect(counts.get("users")!.acme).toBeGreaterThan(0);
    expect(counts.get("audit_log")!.demo).toBeGreaterThan(0);
  });

  it("every tenant table has row-level security enabled, and forced where the application writes", async () => {
    const found = await query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
      db.db,
      `SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class
       WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relname = ANY('{${TENANT_TABLES.join(",")}}')`,
    );
    expect(found).toHaveLength(TENANT_TABLES.length);
    for (const t of found) {
      expect(t.relrowsecurity, t.relname).toBe(true);
      expect(t.relforcerowsecurity, t.relname).toBe(t.relname !== "audit_chain_heads");
    }
    // Every table with an organization_id column is in the list.
    const withOrg = await query<{ table_name: string }>(
      db.db,
      `SELECT table_name FROM information_schema.columns
       WHERE table_schema = 'public' AND column_name = 'organization_id'`,
    );
    expect(withOrg.map((r) => r.table_name).sort()).toEqual([...TENANT_TABLES].sort());
  });

  it("as the application role for acme: SELECT sees acme's rows only", async () => {
    await rolledBack(db.db, async (tx) => {
      await enterScope(tx, { organizationId: acme });
      expect((await query<{ r: string }>(tx, `SELECT current_user AS r`))[0]!.r).toBe(APP_ROLE);
      for (const table of TENANT_TABLES) {
        const [r] = await query<{ n: number; foreign: number }>(
          tx,
          `SELECT count(*)::int AS n, count(*) FILTER (WHERE organization_id <> '${acme}')::int AS foreign FROM ${table}`,
        );
        expect(r, table).toEqual({ n: counts.get(table)!.acme, foreign: 0 });
      }
    });
  });

  it("as the application role for acme: UPDATE and DELETE without a filter reach no demo row", async () => {
    const writable = TENANT_TABLES.filter((t) => !["audit_log", "audit_chain_heads"].includes(t));
    await rolledBack(db.db, async (tx) => {
      await enterScope(tx, { organizationId: acme });
      for (const table of writable) {
        const updated = await query<{ organization_id: string }>(
          tx,
          `UPDATE ${table} SET organization_id = organization_id RETURNING organization_id`,
        );
        expect(updated.length, table).toBe(counts.get(table)!.acme);
        expect(
          updated.every((r) => r.organization_id === acme),
          table,
        ).toBe(true);
        // Moving a row to another organization is refused (WITH CHECK), as is deleting the other's rows.
        if (counts.get(table)!.acme)
          expect(await attempt(tx, `UPDATE ${table} SET organization_id = '${demo}'`), table).toBe("42501");
        const deleted = await query(tx, `DELETE FROM ${table} WHERE organization_id = '${demo}' RETURNING 1`);
        expect(deleted, table).toHaveLength(0);
      }
      // The audit trail and the chain heads are not the application's to change at all.
      for (const table of ["audit_log", "audit_chain_heads"]) {
        expect(await attempt(tx, `UPDATE ${table} SET organization_id = organization_id`), table).toBe("42501");
        expect(await attempt(tx, `DELETE FROM ${table}`), table).toBe("42501");
      }
    });
    // Nothing of demo's changed (the owner's view).
    for (const table of TENANT_TABLES) {
      const [r] = await query<{ n: number }>(
        db.db,
        `SELECT count(*)::int AS n FROM ${table} WHERE organization_id = '${demo}'`,
      );
      expect(r!.n, table).toBe(counts.get(table)!.demo);
    }
  });

  it("as the application role for acme: INSERT of a demo row is refused in every table", async () => {
    for (const table of TENANT_TABLES.filter((t) => t !== "audit_chain_heads")) {
      if (!counts.get(table)!.demo) continue;
      // A copy of one of demo's rows (with a new id where there is one), without generated columns.
      const columns = (
        await query<{ column_name: string }>(
          db.db,
          `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '${table}'
             AND is_generated = 'NEVER' AND identity_generation IS NULL ORDER BY ordinal_position`,
        )
      ).map((c) => c.column_name);
      const list = columns.map((c) => `"${c}"`).join(", ");
      const values = columns.map((c) => (c === "id" ? "gen_random_uuid()" : `"${c}"`)).join(", ");
      const [json] = await query<{ j: unknown }>(
        db.db,
        `SELECT row_to_json(t) AS j FROM ${table} t WHERE organization_id = '${demo}' LIMIT 1`,
      );
      const code = await rolledBack(db.db, async (tx) => {
        await enterScope(tx, { organizationId: acme });
        return attempt(
          tx,
          `INSERT INTO ${table} (${list}) SELECT ${values} FROM json_populate_record(NULL::${table},
             '${JSON.stringify(json!.j).replace(/'/g, "''")}')`,
        );
      });
      expect(code, table).toBe("42501");
    }
    // The same copy into acme is allowed: the refusal above was the policy, not the statement.
    const code = await rolledBack(db.db, async (tx) => {
      await enterScope(tx, { organizationId: acme });
      return attempt(tx, `INSERT INTO users (organization_id, email, name) VALUES ('${acme}', 'rls@acme.test', 'R')`);
    });
    expect(code).toBe("ok");
  });

  it("as the application role without the setting: every tenant table looks empty", async () => {
    await rolledBack(db.db, async (tx) => {
      await query(tx, `SELECT set_config('role', '${APP_ROLE}', true)`);
      for (const table of TENANT_TABLES) {
        const [r] = await query<{ n: number }>(tx, `SELECT count(*)::int AS n FROM ${table}`);
        expect(r!.n, table).toBe(0);
      }
      const updated = await query(tx, `UPDATE users SET name = name RETURNING 1`);
      expect(updated).toHaveLength(0);
    });
    // A setting made local to an earlier transaction is gone afterwards (it reads as '', never as acme).
    await rolledBack(db.db, (tx) => enterScope(tx, { organizationId: acme }));
    await rolledBack(db.db, async (tx) => {
      await query(tx, `SELECT set_config('role', '${APP_ROLE}', true)`);
      const [r] = await query<{ n: number }>(tx, `SELECT count(*)::int AS n FROM users`);
      expect(r!.n).toBe(0);
    });
  });

  it("the maintenance role sees every organization", async () => {
    await rolledBack(db.db, async (tx) => {
      await enterScope(tx, { allOrganizations: true });
      expect((await query<{ r: string }>(tx, `SELECT current_user AS r`))[0]!.r).toBe(MAINTENANCE_ROLE);
      for (const table of TENANT_TABLES) {
        const [r] = await query<{ n: number }>(
          tx,
          `SELECT count(*)::int AS n FROM ${table} WHERE organization_id IN ('${acme}', '${demo}')`,
        );
        expect(r!.n, table).toBe(counts.get(table)!.acme + counts.get(table)!.demo);
      }
    });
  });

  it("a member through softdelete_maintenance_gate, as the owner is, inherits none of its rows", async () => {
    const tables = TENANT_TABLES.filter((t) => t !== "audit_chain_heads");
    const suffix = randomBytes(4).toString("hex");
    /** Rows `role` sees in every tenant table, made a member of `of` and allowed to read them (as an owner may). */
    const visible = (role: string, of: string) =>
      rolledBack(db.db, async (tx) => {
        await query(tx, `CREATE ROLE ${role} IN ROLE ${of}`);
        await query(tx, `GRANT SELECT ON ${tables.join(", ")} TO ${role}`);
        await query(tx, `SELECT set_config('role', '${role}', true)`);
        let n = 0;
        for (const table of tables)
          n += (await query<{ n: number }>(tx, `SELECT count(*)::int AS n FROM ${table}`))[0]!.n;
        return n;
      });
    expect(await visible(`sdg_gated_${suffix}`, "softdelete_maintenance_gate")).toBe(0);
    // What the gate prevents: a member that inherits sees every organization.
    expect(await visible(`sdg_direct_${suffix}`, MAINTENANCE_ROLE)).toBeGreaterThan(0);
  });

  it("unprotectedTables: none for the example domain; a table whose policy is dropped is named", async () => {
    expect(await unprotectedTables(db.db, tenantTables(MODEL))).toEqual([]);
    const named = await rolledBack(db.db, async (tx) => {
      await query(tx, `DROP POLICY tenant_isolation ON comments`);
      await query(tx, `ALTER TABLE tasks NO FORCE ROW LEVEL SECURITY`);
      return unprotectedTables(tx, tenantTables(MODEL));
    });
    expect(named).toEqual(["comments", "tasks"]);
  });

  it("the settings end with the transaction: the connection is its own role again", async () => {
    await rolledBack(db.db, (tx) => enterScope(tx, { organizationId: acme }));
    const [r] = await query<{ role: string; org: string | null }>(
      db.db,
      `SELECT current_user AS role, NULLIF(current_setting('app.organization_id', true), '') AS org`,
    );
    expect(r!.role).not.toBe(APP_ROLE);
    expect(r!.org).toBeNull();
  });
});
