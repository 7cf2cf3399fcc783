/**
 * The health report, on PGlite and on PostgreSQL: its counts match the rows a test wrote (exact while small,
 * planner estimates above the threshold, each marked so), the partial indexes it expects, the recommendations
 * at their thresholds, the database section, and tables taken from the registry.
 */
import { pgTable, text, uuid } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../src/db/connect.js";
import {
  deletedAtIndex,
  idColumn,
  liveIndex,
  softDeleteColumns,
  trackingColumns,
} from "../../src/db/schema/columns.js";
import { ENTITIES, RELATIONS } from "../../src/domain/model.js";
import { SoftDeleteEngine } from "../../src/engine/engine.js";
import { recommend, type HealthReport, type TableHealth } from "../../src/engine/health.js";
import { Maintenance, type MaintenanceOptions } from "../../src/engine/maintenance.js";
import { Registry, type SoftDeletableTable } from "../../src/engine/registry.js";
import { createOrganization, DB_KIND, onPostgres, openTestDatabase, query, type TestDatabase } from "../support/db.js";
import { makeEngine } from "../support/fixtures.js";

const DAY = 86_400_000;

function maintenanceFor(db: TestDatabase, options: MaintenanceOptions = {}, engine = makeEngine(db.db)) {
  return new Maintenance(engine, db, options);
}

const table = (report: HealthReport, name: string) => {
  const found = report.tables.find((t) => t.table === name);
  expect(found, `table ${name} in the report`).toBeDefined();
  return found!;
};

/** 100 users: 60 live, 30 deleted 10 days ago, 10 deleted 100 days ago; and 5 live projects. */
async function writeKnownRows(db: TestDatabase) {
  const org = await createOrganization(db.db);
  await query(
    db.db,
    `INSERT INTO users (organization_id, email, name, deleted_at)
     SELECT '${org.id}', 'u' || g || '@health.test', 'User ' || g,
       CASE WHEN g <= 60 THEN NULL WHEN g <= 90 THEN now() - interval '10 days' ELSE now() - interval '100 days' END
     FROM generate_series(1, 100) AS g`,
  );
  await query(
    db.db,
    `INSERT INTO projects (organization_id, slug, name) SELECT '${org.id}', 'p' || g, 'Project' FROM generate_series(1, 5) AS g`,
  );
  return org;
}

describe("healthReport counts", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase();
    await writeKnownRows(db);
  });

  afterAll(async () => {
    await db?.close();
  });

  it("covers every soft-deletable table, with exact counts that match the rows written", async () => {
    const report = await maintenanceFor(db).healthReport();
    expect(report.tables.map((t) => t.entityType).sort()).toEqual([
      "Comment",
      "Project",
      "Task",
      "TaskAssignment",
      "User",
    ]);
    const users = table(report, "users");
    expect(users).toMatchObject({
      entityType: "User",
      liveRows: { count: 60, exact: true },
      deletedRows: { count: 40, exact: true },
      deletedRatio: 0.4,
      retentionDays: 90,
      rowsPastRetention: { count: 10, exact: true },
    });
    expect(Math.abs(users.oldestDeletion!.getTime() - (Date.now() - 100 * DAY))).toBeLessThan(60_000);
    expect(users.tableBytes).toBeGreaterThan(0);
    expect(users.indexBytes).toBeGreaterThan(0);
    expect(table(report, "projects")).toMatchObject({
      liveRows: { count: 5, exact: true },
      deletedRows: { count: 0, exact: true },
      deletedRatio: 0,
      oldestDeletion: null,
      rowsPastRetention: { count: 0, exact: true },
    });
    for (const name of ["tasks", "comments", "task_assignments"])
      expect(table(report, name)).toMatchObject({ liveRows: { count: 0 }, deletedRows: { count: 0 }, deletedRatio: 0 });
  });

  it("rows past retention follow each type's retention", async () => {
    const short = await maintenanceFor(db, { retention: { defaultDays: 90, overrides: { User: 5 } } }).healthReport();
    expect(table(short, "users")).toMatchObject({ retentionDays: 5, rowsPastRetention: { count: 40, exact: true } });
    const forever = await maintenanceFor(db, { retention: { defaultDays: 0 } }).healthReport();
    expect(table(forever, "users")).toMatchObject({ retentionDays: 0, rowsPastRetention: { count: 0, exact: true } });
  });

  it("lists the declared partial indexes, all present after the migrations", async () => {
    const users = table(await maintenanceFor(db).healthReport(), "users");
    expect(users.partialIndexes.map(({ name, unique, status }) => ({ name, unique, status }))).toEqual([
      { name: "users_org_email_live_key", unique: true, status: "PRESENT" },
      { name: "users_org_live_idx", unique: false, status: "PRESENT" },
      { name: "users_deleted_at_idx", unique: false, status: "PRESENT" },
    ]);
  });

  it("beyond HEALTH_EXACT_COUNT_MAX_ROWS gives the planner's estimates, marked as such", async () => {
    await query(db.db, "ANALYZE");
    const report = await maintenanceFor(db, { health: { exactCountMaxRows: 10 } }).healthReport();
    const users = table(report, "users");
    expect(users.estimatedRows).toBeGreaterThan(10);
    const near = (actual: number, expected: number) =>
      expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.max(3, expected * 0.2));
    expect(users.liveRows.exact).toBe(false);
    near(users.liveRows.count, 60);
    expect(users.deletedRows.exact).toBe(false);
    near(users.deletedRows.count, 40);
    expect(users.rowsPastRetention.exact).toBe(false);
    near(users.rowsPastRetention.count, 10);
    // Read from the deleted_at index, so still exact.
    expect(Math.abs(users.oldestDeletion!.getTime() - (Date.now() - 100 * DAY))).toBeLessThan(60_000);
    // Small tables keep exact counts.
    expect(table(report, "projects")).toMatchObject({ liveRows: { count: 5, exact: true } });
    // Where the index proves a count is 0, it is 0 and exact, whatever the size.
    const all = await maintenanceFor(db, { health: { exactCountMaxRows: 0 } }).healthReport();
    expect(table(all, "projects")).toMatchObject({
      deletedRows: { count: 0, exact: true },
      rowsPastRetention: { count: 0, exact: true },
      liveRows: { exact: false },
    });
  });

  it("describes the database", async () => {
    const report = await maintenanceFor(db).healthReport();
    expect(report.database).toMatchObject({
      reachable: true,
      kind: DB_KIND === "pglite" ? "EMBEDDED" : "SERVER",
      error: null,
    });
    expect(report.database.serverVersion).toMatch(/^\d+\.\d+/);
    expect(report.database.latencyMs).toBeGreaterThanOrEqual(0);
    if (onPostgres) {
      expect(report.database.pool).toMatchObject({ max: 8 });
      expect(report.database.pool!.total).toBeGreaterThanOrEqual(1);
    } else {
      expect(report.database.pool).toBeNull();
      for (const t of report.tables) expect([t.lastAutovacuum, t.lastAutoanalyze]).toEqual([null, null]);
    }
    // ANALYZE ran in the test above.
    expect(table(report, "users").lastAnalyze).toBeInstanceOf(Date);
    // Scan counters exist on both (they lag behind the scans by up to a few seconds on PostgreSQL).
    expect(typeof table(report, "users").seqScans).toBe("number");
  });
});

describe("healthReport recommendations", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase();
    await writeKnownRows(db);
  });

  afterAll(async () => {
    await db?.close();
  });

  const kinds = (report: HealthReport, tableName: string) =>
    report.recommendations.filter((r) => r.table === tableName).map((r) => r.kind);

  it("a deleted ratio above the threshold recommends purging or archiving; at the threshold, nothing", async () => {
    const at = await maintenanceFor(db, { health: { deletedRatio: 0.4 } }).healthReport();
    expect(kinds(at, "users")).not.toContain("PURGE_OR_ARCHIVE");
    const above = await maintenanceFor(db, { health: { deletedRatio: 0.39 } }).healthReport();
    const rec = above.recommendations.find((r) => r.table === "users" && r.kind === "PURGE_OR_ARCHIVE");
    expect(rec).toMatchObject({ severity: "WARNING", entityType: "User" });
    expect(rec!.action).toContain("npm run purge -- --type User");
    // Only the table above the threshold.
    expect(above.recommendations.filter((r) => r.kind === "PURGE_OR_ARCHIVE").map((r) => r.table)).toEqual(["users"]);
  });

  it("rows past retention recommend a scheduled purge only while PURGE_INTERVAL is off", async () => {
    const off = await maintenanceFor(db, { purgeIntervalMs: 0 }).healthReport();
    expect(off.recommendations.filter((r) => r.kind === "ENABLE_PURGE").map((r) => r.table)).toEqual(["users"]);
    const on = await maintenanceFor(db, { purgeIntervalMs: DAY }).healthReport();
    expect(on.recommendations.filter((r) => r.kind === "ENABLE_PURGE")).toEqual([]);
  });

  it("dead tuples above the threshold recommend VACUUM", async () => {
    await query(db.db, `DELETE FROM users WHERE email LIKE 'u9_@health.test'`);
    // The statistics views learn of the dead tuples when the writing backend flushes (within seconds).
    let users: TableHealth | undefined;
    for (let i = 0; i < 100; i++) {
      users = table(await maintenanceFor(db).healthReport(), "users");
      if ((users.deadTuples ?? 0) > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const dead = users!.deadTuples!;
    expect(dead).toBeGreaterThan(0);
    const report = await maintenanceFor(db, { health: { deadTuples: 0 } }).healthReport();
    expect(report.recommendations.find((r) => r.table === "users" && r.kind === "VACUUM")).toMatchObject({
      severity: "WARNING",
      action: 'VACUUM (ANALYZE) "users";',
    });
    const high = await maintenanceFor(db, { health: { deadTuples: 1_000_000 } }).healthReport();
    expect(kinds(high, "users")).not.toContain("VACUUM");
  });

  it("a missing partial index recommends the CREATE INDEX that restores it as declared", async () => {
    const [before] = await query<{ def: string }>(
      db.db,
      `SELECT pg_get_indexdef('tasks_deleted_at_idx'::regclass) AS def`,
    );
    await query(db.db, `DROP INDEX tasks_deleted_at_idx`);
    const report = await maintenanceFor(db).healthReport();
    const check = table(report, "tasks").partialIndexes.find((i) => i.name === "tasks_deleted_at_idx")!;
    expect(check.status).toBe("MISSING");
    const rec = report.recommendations.find((r) => r.kind === "CREATE_INDEX" && r.table === "tasks")!;
    expect(rec).toMatchObject({ severity: "WARNING", action: check.createStatement });
    await query(db.db, rec.action);
    const [after] = await query<{ def: string }>(
      db.db,
      `SELECT pg_get_indexdef('tasks_deleted_at_idx'::regclass) AS def`,
    );
    expect(after!.def).toBe(before!.def);
    expect(kinds(await maintenanceFor(db).healthReport(), "tasks")).not.toContain("CREATE_INDEX");

    // A missing live-unique key is critical: uniqueness among live rows is not enforced.
    await query(db.db, `DROP INDEX projects_org_slug_live_key`);
    const critical = (await maintenanceFor(db).healthReport()).recommendations.find((r) => r.kind === "CREATE_INDEX")!;
    expect(critical).toMatchObject({ severity: "CRITICAL", table: "projects" });
    await query(db.db, critical.action);
    expect(
      table(await maintenanceFor(db).healthReport(), "projects").partialIndexes.every((i) => i.status === "PRESENT"),
    ).toBe(true);
  });
});

describe("recommend (the rules, at their boundaries)", () => {
  const base: TableHealth = {
    entityType: "Task",
    table: "tasks",
    estimatedRows: 100,
    liveRows: { count: 70, exact: true },
    deletedRows: { count: 30, exact: true },
    deletedRatio: 0.3,
    oldestDeletion: null,
    retentionDays: 90,
    rowsPastRetention: { count: 0, exact: true },
    tableBytes: 0,
    indexBytes: 0,
    deadTuples: 100,
    lastVacuum: null,
    lastAutovacuum: null,
    lastAnalyze: null,
    lastAutoanalyze: null,
    seqScans: 0,
    indexScans: 0,
    partialIndexes: [],
  };
  const kinds = (
    t: Partial<TableHealth>,
    o: { deletedRatio?: number; deadTuples?: number; purgeScheduled?: boolean } = {},
  ) =>
    recommend([{ ...base, ...t }], { deletedRatio: 0.3, deadTuples: 100, purgeScheduled: false, ...o }).map(
      (r) => r.kind,
    );

  it("each rule fires strictly above its threshold", () => {
    expect(kinds({})).toEqual([]);
    expect(kinds({ deletedRatio: 0.3001 })).toEqual(["PURGE_OR_ARCHIVE"]);
    expect(kinds({ deadTuples: 101 })).toEqual(["VACUUM"]);
    expect(kinds({ deadTuples: null })).toEqual([]);
    expect(kinds({ rowsPastRetention: { count: 1, exact: false } })).toEqual(["ENABLE_PURGE"]);
    expect(kinds({ rowsPastRetention: { count: 1, exact: true } }, { purgeScheduled: true })).toEqual([]);
  });

  it("a type kept forever is told to set a retention, not to purge", () => {
    const [rec] = recommend([{ ...base, deletedRatio: 0.9, retentionDays: 0 }], {
      deletedRatio: 0.3,
      deadTuples: 100,
      purgeScheduled: true,
    });
    expect(rec!.action).toContain("RETENTION_DAYS_OVERRIDES=Task=<days>");
  });

  it("an invalid index is dropped before it is built again", () => {
    const [rec] = recommend(
      [
        {
          ...base,
          partialIndexes: [{ name: "tasks_x", unique: false, status: "INVALID", createStatement: "CREATE INDEX …;" }],
        },
      ],
      { deletedRatio: 0.3, deadTuples: 100, purgeScheduled: true },
    );
    expect(rec).toMatchObject({
      kind: "CREATE_INDEX",
      action: 'DROP INDEX CONCURRENTLY IF EXISTS "tasks_x"; CREATE INDEX …;',
    });
  });
});

describe("healthReport takes its tables from the registry", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase();
  });

  afterAll(async () => {
    await db?.close();
  });

  const notes = pgTable(
    "notes",
    {
      id: idColumn(),
      organizationId: uuid("organization_id").notNull(),
      body: text("body"),
      ...trackingColumns(),
      ...softDeleteColumns(),
    },
    (t) => [
      liveIndex("notes_org_live_idx", t.organizationId, t.createdAt),
      deletedAtIndex("notes_deleted_at_idx", t.deletedAt),
    ],
  );
  const ghosts = pgTable("ghosts", {
    id: idColumn(),
    organizationId: uuid("organization_id").notNull(),
    ...trackingColumns(),
    ...softDeleteColumns(),
  });

  it("reports a newly declared table, and recommends the indexes its declaration expects", async () => {
    await query(
      db.db,
      `CREATE TABLE notes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), organization_id uuid NOT NULL, body text,
         created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), created_by text, updated_by text,
         deleted_at timestamptz, deleted_by text, deletion_reason text, deletion_operation_id uuid,
         is_deleted boolean GENERATED ALWAYS AS (deleted_at IS NOT NULL) STORED NOT NULL)`,
    );
    await query(
      db.db,
      `INSERT INTO notes (organization_id, deleted_at) SELECT gen_random_uuid(), CASE WHEN g % 2 = 0 THEN now() END FROM generate_series(1, 10) g`,
    );
    const registry = new Registry(
      [
        ...ENTITIES,
        { name: "Note", table: notes as unknown as SoftDeletableTable },
        { name: "Ghost", table: ghosts as unknown as SoftDeletableTable },
      ],
      RELATIONS,
    );
    const m = maintenanceFor(db, {}, new SoftDeleteEngine(db.db, registry));
    const report = await m.healthReport();
    expect(table(report, "notes")).toMatchObject({
      entityType: "Note",
      liveRows: { count: 5 },
      deletedRows: { count: 5 },
      deletedRatio: 0.5,
    });
    expect(report.recommendations.find((r) => r.kind === "MISSING_TABLE")).toMatchObject({
      table: "ghosts",
      severity: "CRITICAL",
    });
    const creates = report.recommendations.filter((r) => r.kind === "CREATE_INDEX");
    expect(creates.map((r) => r.table)).toEqual(["notes", "notes"]);
    for (const r of creates) await query(db.db, r.action);
    const again = await m.healthReport();
    expect(table(again, "notes").partialIndexes.map((i) => i.status)).toEqual(["PRESENT", "PRESENT"]);
  });

  it("says so when the database does not answer", async () => {
    const other =
      DB_KIND === "pglite"
        ? await connect({ pgliteDir: "memory://" })
        : await connect({ url: db.url!, directUrl: db.directUrl });
    await other.close();
    const report = await new Maintenance(makeEngine(other.db), other).healthReport();
    expect(report.database.reachable).toBe(false);
    expect(report.database.error).toBeTruthy();
    expect(report.tables).toEqual([]);
    expect(report.recommendations).toMatchObject([{ kind: "DATABASE_UNREACHABLE", severity: "CRITICAL", table: null }]);
  });
});
