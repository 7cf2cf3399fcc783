/**
 * `migrate()`: many instances may start at once against one empty database (PostgreSQL serialises them with
 * an advisory lock), and migrating an already-migrated database changes nothing.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import { getTableName, isTable, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connect } from "../../src/db/connect.js";
import type { Database, DatabaseHandle } from "../../src/db/database.js";
import { migrate, migrationsFolder } from "../../src/db/migrate.js";
import * as schema from "../../src/db/schema/index.js";
import { MODEL } from "../../src/domain/model.js";
import { onPostgres, openTestDatabase, rowsOf, withClient, type TestDatabase } from "../support/db.js";
import { withDatabase } from "../support/global-setup.js";
import { directBaseUrl, pooledBaseUrl } from "../support/topology.js";

/** The migrations drizzle-kit committed, in order. */
const journal = JSON.parse(readFileSync(join(migrationsFolder(), "meta", "_journal.json"), "utf8")) as {
  entries: { tag: string; when: number }[];
};
/** Every table the schema declares: the infrastructure's and the entities'. */
const TABLES = [...Object.values(schema), ...MODEL.entityDeclarations.map((e) => e.table)]
  .filter((v) => isTable(v))
  .map((t) => getTableName(t))
  .sort();

interface Applied {
  id: number;
  hash: string;
  created_at: string;
}
const applied = (db: Database) =>
  rowsOf<Applied>(
    db,
    sql`SELECT id, hash, created_at::text AS created_at FROM drizzle.__drizzle_migrations ORDER BY id`,
  );

/** Table name → oid: a table dropped and created again gets a new oid. */
async function tableOids(db: Database): Promise<Record<string, string>> {
  const found = await rowsOf<{ relname: string; oid: string }>(
    db,
    sql`SELECT c.relname, c.oid::text AS oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'`,
  );
  return Object.fromEntries(found.map((r) => [r.relname, r.oid]));
}

it("the schema declares tables and drizzle-kit committed migrations (guards the tests below)", () => {
  expect(TABLES).toEqual(expect.arrayContaining(["audit_log", "users", "tasks"]));
  expect(journal.entries.length).toBeGreaterThanOrEqual(2);
});

describe("migrate on an already-migrated database", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it("is a no-op: no migration recorded again, no table re-created, data kept", async () => {
    const [org] = await rowsOf<{ id: string }>(
      db.db,
      sql`INSERT INTO organizations (slug, name) VALUES ('kept', 'Kept') RETURNING id`,
    );
    const migrationsBefore = await applied(db.db);
    const oidsBefore = await tableOids(db.db);
    expect(migrationsBefore).toHaveLength(journal.entries.length);
    expect(Object.keys(oidsBefore)).toEqual(expect.arrayContaining(TABLES));

    await migrate(db);
    await migrate(db);

    expect(await applied(db.db)).toEqual(migrationsBefore);
    expect(await tableOids(db.db)).toEqual(oidsBefore);
    expect(await rowsOf(db.db, sql`SELECT id FROM organizations WHERE slug = 'kept'`)).toEqual([{ id: org!.id }]);
  });
});

describe.skipIf(!onPostgres)("concurrent migrate (PostgreSQL only: PGlite is one in-process connection)", () => {
  const base = directBaseUrl()!;
  // Named after the run, so global setup drops it should this run die before afterAll.
  const name = `sdg_test_${inject("testRun")}_migrate_${randomBytes(6).toString("hex")}`;
  const handles: DatabaseHandle[] = [];

  const admin = <T>(work: (client: pg.Client) => Promise<T>) => withClient(base, work);

  beforeAll(async () => {
    await admin((c) => c.query(`CREATE DATABASE "${name}"`));
    const url = withDatabase(pooledBaseUrl()!, name);
    const directUrl = withDatabase(base, name);
    handles.push(await connect({ url, directUrl, poolMax: 2 }), await connect({ url, directUrl, poolMax: 2 }));
  });
  afterAll(async () => {
    for (const h of handles) await h.close();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  });

  it("two instances migrating a brand-new database at once both succeed, and each migration runs once", async () => {
    const [a, b] = handles as [DatabaseHandle, DatabaseHandle];
    expect(await tableOids(a.db)).toEqual({});

    const outcomes = await Promise.allSettled([migrate(a), migrate(b)]);
    expect(outcomes.map((o) => (o.status === "rejected" ? String(o.reason) : o.status))).toEqual([
      "fulfilled",
      "fulfilled",
    ]);

    expect(Object.keys(await tableOids(a.db)).sort()).toEqual(TABLES);
    const migrations = await applied(b.db);
    expect(migrations.map((m) => Number(m.created_at))).toEqual(journal.entries.map((e) => e.when));
    expect(new Set(migrations.map((m) => m.hash)).size).toBe(journal.entries.length);
    // The last migration (the append-only trigger) took effect.
    const [trigger] = await rowsOf<{ n: number }>(
      a.db,
      sql`SELECT count(*)::int AS n FROM pg_trigger WHERE tgname = 'audit_log_append_only'`,
    );
    expect(trigger!.n).toBe(1);
  });

  it("a third migrate afterwards is a no-op", async () => {
    const [a] = handles as [DatabaseHandle];
    const before = await applied(a.db);
    const oids = await tableOids(a.db);
    await migrate(a);
    expect(await applied(a.db)).toEqual(before);
    expect(await tableOids(a.db)).toEqual(oids);
  });
});
