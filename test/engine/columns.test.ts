/**
 * The soft-delete columns and the live-row unique keys, as the database enforces them: `is_deleted` follows
 * `deleted_at` and cannot be written, a deleted row's unique key is free for a new live row, and a key held by
 * a live row is a CONFLICT naming the key, both on create and on restore.
 */
import { getTableConfig } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { LIVE_ROWS } from "../../src/db/schema/columns.js";
import { ENTITIES } from "../../src/domain/model.js";
import type { OperationContext } from "../../src/engine/context.js";
import type { SoftDeleteEngine } from "../../src/engine/engine.js";
import { rowsOf, type TestDatabase } from "../support/db.js";
import { dbError, engineError } from "../support/errors.js";
import { newTenant, useEngineDatabase } from "../support/fixtures.js";

let db: TestDatabase;
let engine: SoftDeleteEngine;
let ctx: OperationContext;

useEngineDatabase((opened) => ({ db, engine, ctx } = opened), { tenant: true });

let n = 0;
const email = () => `person${++n}-${Math.random().toString(36).slice(2, 8)}@example.test`;

describe("is_deleted", () => {
  it("agrees with deleted_at through create, soft delete and restore", async () => {
    const user = await engine.create("User", ctx, { email: email(), name: "Ann" });
    const state = async () =>
      (
        await rowsOf<{ deleted_at: unknown; is_deleted: boolean }>(
          db.db,
          sql`SELECT deleted_at, is_deleted FROM users WHERE id = ${user.id}`,
        )
      )[0]!;

    expect(user.isDeleted).toBe(false);
    expect(await state()).toEqual({ deleted_at: null, is_deleted: false });

    const deleted = await engine.softDelete("User", ctx, user.id);
    expect(deleted.row.isDeleted).toBe(true);
    const after = await state();
    expect(after.deleted_at).not.toBeNull();
    expect(after.is_deleted).toBe(true);

    const restored = await engine.restore("User", ctx, user.id);
    expect(restored.row.isDeleted).toBe(false);
    expect(await state()).toEqual({ deleted_at: null, is_deleted: false });
  });

  it("follows deleted_at even when deleted_at is written directly, in every soft-deletable table", async () => {
    const user = await engine.create("User", ctx, { email: email(), name: "Bo" });
    await db.db.execute(sql`UPDATE users SET deleted_at = now() WHERE id = ${user.id}`);
    const [row] = await rowsOf<{ is_deleted: boolean }>(db.db, sql`SELECT is_deleted FROM users WHERE id = ${user.id}`);
    expect(row!.is_deleted).toBe(true);

    for (const { table } of ENTITIES) {
      const name = getTableConfig(table).name;
      const [disagree] = await rowsOf<{ n: number }>(
        db.db,
        sql`SELECT count(*)::int AS n FROM ${sql.identifier(name)} WHERE is_deleted <> (deleted_at IS NOT NULL)`,
      );
      expect(disagree!.n, name).toBe(0);
    }
  });

  it("cannot be written directly: UPDATE and INSERT of is_deleted are refused and change nothing", async () => {
    const user = await engine.create("User", ctx, { email: email(), name: "Cy" });

    const onUpdate = await dbError(db.db.execute(sql`UPDATE users SET is_deleted = true WHERE id = ${user.id}`));
    // 428C9: "column can only be updated to DEFAULT" (a generated column).
    expect(onUpdate?.code).toBe("428C9");

    const onInsert = await dbError(
      db.db.execute(
        sql`INSERT INTO users (organization_id, email, name, is_deleted) VALUES (${ctx.organizationId}, ${email()}, 'Dee', true)`,
      ),
    );
    expect(onInsert?.code).toBe("428C9");

    const [row] = await rowsOf<{ deleted_at: unknown; is_deleted: boolean }>(
      db.db,
      sql`SELECT deleted_at, is_deleted FROM users WHERE id = ${user.id}`,
    );
    expect(row).toEqual({ deleted_at: null, is_deleted: false });
  });
});

describe("live-row unique keys", () => {
  it("lets a new live user take the email of a soft-deleted user in the same organization", async () => {
    const address = email();
    const first = await engine.create("User", ctx, { email: address, name: "First" });
    await engine.softDelete("User", ctx, first.id);

    const second = await engine.create("User", ctx, { email: address, name: "Second" });
    expect(second.id).not.toBe(first.id);

    const holders = await rowsOf<{ id: string; live: boolean }>(
      db.db,
      sql`SELECT id, deleted_at IS NULL AS live FROM users
          WHERE organization_id = ${ctx.organizationId} AND email = ${address} ORDER BY created_at`,
    );
    expect(holders).toEqual([
      { id: first.id, live: false },
      { id: second.id, live: true },
    ]);
  });

  it("refuses a duplicate live email with CONFLICT naming the key, and creates nothing", async () => {
    const address = email();
    await engine.create("User", ctx, { email: address, name: "Holder" });

    const err = await engineError(engine.create("User", ctx, { email: address, name: "Copy" }));
    expect(err.code).toBe("CONFLICT");
    expect(err.details).toMatchObject({ type: "User", key: ["email"], constraint: "users_org_email_live_key" });

    const [count] = await rowsOf<{ n: number }>(
      db.db,
      sql`SELECT count(*)::int AS n FROM users WHERE organization_id = ${ctx.organizationId} AND email = ${address}`,
    );
    expect(count!.n).toBe(1);
  });

  it("scopes the key to the organization: the same email is live in two organizations", async () => {
    const address = email();
    const other = await newTenant(db.db);
    const a = await engine.create("User", ctx, { email: address, name: "Here" });
    const b = await engine.create("User", other, { email: address, name: "There" });
    expect(a.deletedAt).toBeNull();
    expect(b.deletedAt).toBeNull();
  });

  it("refuses to restore a row whose key a live row now holds: CONFLICT naming the key, nothing changes", async () => {
    const address = email();
    const old = await engine.create("User", ctx, { email: address, name: "Old" });
    const deletion = await engine.softDelete("User", ctx, old.id, { reason: "left" });
    const current = await engine.create("User", ctx, { email: address, name: "Current" });
    const snapshot = async () =>
      rowsOf(
        db.db,
        sql`SELECT id, email, name, deleted_at, deleted_by, deletion_reason, deletion_operation_id, updated_at
            FROM users WHERE id IN (${old.id}, ${current.id}) ORDER BY created_at`,
      );
    const before = await snapshot();

    const err = await engineError(engine.restore("User", ctx, old.id));
    expect(err.code).toBe("CONFLICT");
    expect(err.details).toMatchObject({ type: "User", key: ["email"], constraint: "users_org_email_live_key" });

    expect(await snapshot()).toEqual(before);
    const oldRow = await engine.find("User", ctx, old.id, "DELETED");
    expect(oldRow?.deletionOperationId).toBe(deletion.operationId);
    const [restores] = await rowsOf<{ n: number }>(
      db.db,
      sql`SELECT count(*)::int AS n FROM audit_log WHERE entity_id = ${old.id} AND action = 'RESTORE'`,
    );
    expect(restores!.n).toBe(0);
  });

  it("applies to projects (slug) and task assignments (task, user) too", async () => {
    const lead = await engine.create("User", ctx, { email: email(), name: "Lead" });
    const slug = `proj-${n}-${Math.random().toString(36).slice(2, 8)}`;
    const project = await engine.create("Project", ctx, { slug, name: "P" });
    const slugErr = await engineError(engine.create("Project", ctx, { slug, name: "P again" }));
    expect(slugErr.code).toBe("CONFLICT");
    expect(slugErr.details).toMatchObject({ type: "Project", key: ["slug"] });

    const task = await engine.create("Task", ctx, { projectId: project.id, title: "T" });
    const assignment = await engine.create("TaskAssignment", ctx, { taskId: task.id, userId: lead.id });
    const pairErr = await engineError(engine.create("TaskAssignment", ctx, { taskId: task.id, userId: lead.id }));
    expect(pairErr.code).toBe("CONFLICT");
    expect(pairErr.details).toMatchObject({ type: "TaskAssignment", key: ["taskId", "userId"] });

    // Once the assignment is soft-deleted, the same pair may be assigned again.
    await engine.softDelete("TaskAssignment", ctx, assignment.id);
    const again = await engine.create("TaskAssignment", ctx, { taskId: task.id, userId: lead.id });
    expect(again.id).not.toBe(assignment.id);
  });
});

describe("partial indexes", () => {
  /** Every index the schema declares over live rows only, by table. */
  const declared = ENTITIES.flatMap(({ table }) => {
    const config = getTableConfig(table);
    return config.indexes
      .filter((idx) => idx.config.where === LIVE_ROWS)
      .map((idx) => ({ table: config.name, name: idx.config.name!, unique: idx.config.unique }));
  });

  it("the schema declares live-row unique keys on users, projects and task_assignments", () => {
    expect(declared.filter((d) => d.unique).map((d) => d.name)).toEqual(
      expect.arrayContaining([
        "users_org_email_live_key",
        "projects_org_slug_live_key",
        "task_assignments_task_user_live_key",
      ]),
    );
  });

  it("exist in the database with WHERE (deleted_at IS NULL), unique where declared unique", async () => {
    const found = await rowsOf<{ tablename: string; indexname: string; indexdef: string }>(
      db.db,
      sql`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'`,
    );
    const byName = new Map(found.map((r) => [r.indexname, r]));
    for (const d of declared) {
      const actual = byName.get(d.name);
      expect(actual, d.name).toBeDefined();
      expect(actual!.tablename).toBe(d.table);
      expect(actual!.indexdef.endsWith("WHERE (deleted_at IS NULL)"), actual!.indexdef).toBe(true);
      expect(actual!.indexdef.startsWith("CREATE UNIQUE INDEX"), actual!.indexdef).toBe(d.unique);
    }
  });
});
