/**
 * The demo seed, on PGlite and on PostgreSQL: what it creates per organization, the trash it leaves (rows
 * deleted on their own, one project deleted with its subtree), the audit trail behind every row, and that it
 * runs only against a database without organizations.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODEL, type EntityName } from "../../src/domain/model.js";
import { seedDemo, type SeedResult } from "../../src/seed/demo.js";
import { createOrganization, openTestDatabase, query, type TestDatabase } from "../support/db.js";
import { makeEngine } from "../support/fixtures.js";

/** Each entity type's table, from the registry. */
const TABLES = Object.fromEntries([...MODEL.types.values()].map((t) => [t.name, t.tableName])) as Record<
  EntityName,
  string
>;
type EntityType = keyof typeof TABLES;
const TYPES = Object.keys(TABLES) as EntityType[];

/** Every row of the five soft-deletable tables, with its type. */
const ALL_ROWS = TYPES.map(
  (type) =>
    `SELECT '${type}' AS type, id, organization_id, created_by, deleted_at, deleted_by, deletion_reason,
       deletion_operation_id FROM ${TABLES[type]}`,
).join(" UNION ALL ");

let db: TestDatabase;
let first: SeedResult;

beforeAll(async () => {
  db = await openTestDatabase();
});

afterAll(async () => {
  await db?.close();
});

const orgId = (slug: string) => first.organizations.find((o) => o.slug === slug)!.id;

async function counts(orgSlug: string) {
  const rows = await query<{ type: EntityType; total: number; deleted: number }>(
    db.db,
    `SELECT type, count(*)::int AS total, count(deleted_at)::int AS deleted FROM (${ALL_ROWS}) r
     WHERE organization_id = '${orgId(orgSlug)}' GROUP BY type`,
  );
  return Object.fromEntries(rows.map((r) => [r.type, { total: r.total, deleted: r.deleted }]));
}

/** Row counts of every table the seed writes, for "nothing changed" checks. */
async function tableSizes() {
  const tables = ["organizations", "actors", "audit_log", "detachments", ...Object.values(TABLES)];
  const [row] = await query<Record<string, number>>(
    db.db,
    `SELECT ${tables.map((t) => `(SELECT count(*)::int FROM ${t}) AS ${t}`).join(", ")}`,
  );
  return row!;
}

// Runs first, while the database has no demo data.
describe("seedDemo with another organization present", () => {
  it("does nothing", async () => {
    const other = await createOrganization(db.db, "someone-else");
    const result = await seedDemo(db.db, makeEngine(db.db));
    expect(result).toEqual({ seeded: false, organizations: [] });
    const [sizes] = await query<{ orgs: number; users: number; audit: number }>(
      db.db,
      `SELECT (SELECT count(*)::int FROM organizations) AS orgs, (SELECT count(*)::int FROM users) AS users,
         (SELECT count(*)::int FROM audit_log) AS audit`,
    );
    expect(sizes).toEqual({ orgs: 1, users: 0, audit: 0 });
    // Back to an empty database for the rest of the file.
    await query(db.db, `DELETE FROM organizations WHERE id = '${other.id}'`);
  });
});

describe("seedDemo on an empty database", () => {
  beforeAll(async () => {
    first = await seedDemo(db.db, makeEngine(db.db));
  });

  it("creates the organizations demo and acme", async () => {
    expect(first.seeded).toBe(true);
    expect(first.organizations.map((o) => o.slug)).toEqual(["demo", "acme"]);
    const orgs = await query<{ id: string; slug: string }>(db.db, `SELECT id, slug FROM organizations ORDER BY slug`);
    expect(orgs).toEqual([
      { id: orgId("acme"), slug: "acme" },
      { id: orgId("demo"), slug: "demo" },
    ]);
  });

  it.each(["demo", "acme"])("gives %s the same fixed content", async (slug) => {
    const c = await counts(slug);
    // The promised minimums…
    expect(c.User!.total).toBeGreaterThanOrEqual(6);
    expect(c.Project!.total).toBe(4);
    expect(c.Task!.total).toBe(30);
    // …and the exact, deterministic content.
    expect(c).toEqual({
      User: { total: 8, deleted: 1 },
      Project: { total: 4, deleted: 1 },
      Task: { total: 30, deleted: 6 },
      Comment: { total: 36, deleted: 7 },
      TaskAssignment: { total: 40, deleted: 9 },
    });
  });

  it.each(["demo", "acme"])(
    "gives %s a live admin user, project leads, tasks in every project and replies",
    async (slug) => {
      const org = orgId(slug);
      const admins = await query(
        db.db,
        `SELECT name FROM users WHERE organization_id = '${org}' AND email = 'admin@${slug}.test' AND deleted_at IS NULL`,
      );
      expect(admins).toEqual([{ name: "Demo Admin" }]);
      const [projects] = await query<{ led: number; min_tasks: number }>(
        db.db,
        `SELECT count(*) FILTER (WHERE p.lead_id IS NOT NULL)::int AS led,
         (SELECT min(n) FROM (SELECT count(*)::int AS n FROM tasks t WHERE t.organization_id = '${org}'
            GROUP BY t.project_id) x) AS min_tasks
       FROM projects p WHERE p.organization_id = '${org}' AND p.deleted_at IS NULL`,
      );
      expect(projects!.led).toBeGreaterThanOrEqual(2);
      expect(projects!.min_tasks).toBeGreaterThanOrEqual(5);
      const [replies] = await query<{ live: number; total: number }>(
        db.db,
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE r.deleted_at IS NULL)::int AS live
       FROM comments r JOIN comments p ON p.id = r.parent_id AND p.task_id = r.task_id
       WHERE r.organization_id = '${org}'`,
      );
      expect(replies).toEqual({ total: 10, live: 9 });
      // Every project has a task; every task a live or deleted assignment.
      const [unassigned] = await query<{ n: number }>(
        db.db,
        `SELECT count(*)::int AS n FROM tasks t WHERE t.organization_id = '${org}'
         AND NOT EXISTS (SELECT 1 FROM task_assignments a WHERE a.task_id = t.id)`,
      );
      expect(unassigned!.n).toBe(0);
    },
  );

  it.each(["demo", "acme"])("leaves rows deleted on their own in %s, each with a reason", async (slug) => {
    const singles = await query<{ type: EntityType; deleted_by: string; deletion_reason: string | null }>(
      db.db,
      `SELECT type, deleted_by, deletion_reason FROM (${ALL_ROWS}) r
       WHERE organization_id = '${orgId(slug)}' AND deletion_operation_id IN (
         SELECT deletion_operation_id FROM (${ALL_ROWS}) x WHERE deletion_operation_id IS NOT NULL
         GROUP BY deletion_operation_id HAVING count(*) = 1)
       ORDER BY type`,
    );
    expect(singles.map((r) => r.type)).toEqual(["Comment", "TaskAssignment", "User"]);
    for (const row of singles) {
      expect(row.deleted_by).toBe("seed");
      expect(row.deletion_reason).toBeTruthy();
    }
    // The deleted user led a project: the lead was detached, and remembered for a restore.
    const [detached] = await query<{ n: number }>(
      db.db,
      `SELECT count(*)::int AS n FROM detachments d JOIN users u ON u.id = d.parent_id
       JOIN projects p ON p.id = d.child_id AND p.lead_id IS NULL
       WHERE u.organization_id = '${orgId(slug)}' AND u.deleted_at IS NOT NULL
         AND d.operation_id = u.deletion_operation_id AND d.relation = 'User.ledProjects'`,
    );
    expect(detached!.n).toBe(1);
  });

  it.each(["demo", "acme"])("deletes one project of %s by cascade, under one operation", async (slug) => {
    const org = orgId(slug);
    const ops = await query<{ op: string; types: number; rows: number }>(
      db.db,
      `SELECT deletion_operation_id AS op, count(DISTINCT type)::int AS types, count(*)::int AS rows
       FROM (${ALL_ROWS}) r WHERE organization_id = '${org}' AND deletion_operation_id IS NOT NULL
       GROUP BY deletion_operation_id HAVING count(DISTINCT type) >= 3 ORDER BY rows DESC`,
    );
    expect(ops.length).toBeGreaterThanOrEqual(1);
    const cascade = ops[0]!;
    const byType = await query<{ type: EntityType; n: number }>(
      db.db,
      `SELECT type, count(*)::int AS n FROM (${ALL_ROWS}) r WHERE deletion_operation_id = '${cascade.op}'
       GROUP BY type ORDER BY type`,
    );
    expect(Object.fromEntries(byType.map((r) => [r.type, r.n]))).toEqual({
      Project: 1,
      Task: 4,
      Comment: 5,
      TaskAssignment: 5,
    });
    // One task of that project was deleted on its own before it, under its own operation.
    const tasks = await query<{ op: string }>(
      db.db,
      `SELECT t.deletion_operation_id AS op FROM tasks t JOIN projects p ON p.id = t.project_id
       WHERE p.deletion_operation_id = '${cascade.op}' ORDER BY t.deleted_at`,
    );
    expect(tasks).toHaveLength(5);
    expect(tasks[0]!.op).not.toBe(cascade.op);
    expect(tasks.slice(1).every((t) => t.op === cascade.op)).toBe(true);
    // No live row under a deleted task or comment.
    const [orphans] = await query<{ n: number }>(
      db.db,
      `SELECT (SELECT count(*) FROM tasks t JOIN projects p ON p.id = t.project_id
                WHERE t.deleted_at IS NULL AND p.deleted_at IS NOT NULL)
            + (SELECT count(*) FROM comments c JOIN tasks t ON t.id = c.task_id
                WHERE c.deleted_at IS NULL AND t.deleted_at IS NOT NULL)
            + (SELECT count(*) FROM comments c JOIN comments p ON p.id = c.parent_id
                WHERE c.deleted_at IS NULL AND p.deleted_at IS NOT NULL)
            + (SELECT count(*) FROM task_assignments a JOIN tasks t ON t.id = a.task_id
                WHERE a.deleted_at IS NULL AND t.deleted_at IS NOT NULL)
            + (SELECT count(*) FROM task_assignments a JOIN users u ON u.id = a.user_id
                WHERE a.deleted_at IS NULL AND u.deleted_at IS NOT NULL) AS n`,
    );
    expect(Number(orphans!.n)).toBe(0);
  });

  it("gives every seeded row a CREATE audit entry, and every deleted row its SOFT_DELETE entry", async () => {
    const [missing] = await query<{ total: number; no_create: number; no_delete: number; not_seed: number }>(
      db.db,
      `SELECT count(*)::int AS total,
         count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.entity_id = r.id
           AND a.entity_type = r.type AND a.action = 'CREATE' AND a.organization_id = r.organization_id))::int
           AS no_create,
         count(*) FILTER (WHERE r.deleted_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM audit_log a
           WHERE a.entity_id = r.id AND a.action = 'SOFT_DELETE' AND a.operation_id = r.deletion_operation_id
             AND COALESCE(a.reason, (SELECT f.reason FROM audit_log f WHERE f.operation_id = a.operation_id
               AND f.reason IS NOT NULL ORDER BY f.id LIMIT 1)) = r.deletion_reason))::int AS no_delete,
         count(*) FILTER (WHERE r.created_by IS DISTINCT FROM 'seed')::int AS not_seed
       FROM (${ALL_ROWS}) r`,
    );
    expect(missing).toEqual({ total: 2 * 118, no_create: 0, no_delete: 0, not_seed: 0 });
    const actors = await query<{ subject: string }>(
      db.db,
      `SELECT DISTINCT a.subject FROM audit_log l JOIN actors a ON a.id = l.actor_id`,
    );
    expect(actors).toEqual([{ subject: "seed" }]);
  });
});

describe("seedDemo when organizations exist", () => {
  it("does nothing on a second call and reports the demo organizations", async () => {
    const before = await tableSizes();
    const second = await seedDemo(db.db, makeEngine(db.db));
    expect(second).toEqual({ seeded: false, organizations: first.organizations });
    expect(await tableSizes()).toEqual(before);
  });
});

describe("seedDemo with cascades turned off", () => {
  it("seeds the same rows and leaves out the deletions that would cascade", async () => {
    const other = await openTestDatabase();
    try {
      const result = await seedDemo(other.db, makeEngine(other.db, { cascade: false }));
      expect(result.seeded).toBe(true);
      const totals = await query<{ type: EntityType; total: number }>(
        other.db,
        `SELECT type, count(*)::int AS total FROM (${ALL_ROWS}) r GROUP BY type ORDER BY type`,
      );
      expect(Object.fromEntries(totals.map((r) => [r.type, r.total]))).toEqual({
        Comment: 72,
        Project: 8,
        Task: 60,
        TaskAssignment: 80,
        User: 16,
      });
      // What was deleted, was deleted alone: one row per operation, none of them a task or project.
      const ops = await query<{ type: EntityType; rows: number }>(
        other.db,
        `SELECT min(type) AS type, count(*)::int AS rows FROM (${ALL_ROWS}) r
         WHERE deletion_operation_id IS NOT NULL GROUP BY deletion_operation_id`,
      );
      expect(ops.length).toBeGreaterThan(0);
      expect(ops.every((o) => o.rows === 1 && o.type !== "Task" && o.type !== "Project")).toBe(true);
    } finally {
      await other.close();
    }
  });
});
