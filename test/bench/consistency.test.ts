/**
 * The benches' checks (bench/support/consistency.ts), derived from the domain model: which relations they guard,
 * that a live row under a deleted parent is caught and named, and the audit entries of an operation.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { auditEntries, checkConsistency, consistencySql, type Queryable } from "../../bench/support/consistency.js";
import type { SoftDeleteEngine } from "../../src/engine/engine.js";
import { openTestDatabase, type TestDatabase } from "../support/db.js";
import { makeEngine, newTenant, seedTree } from "../support/fixtures.js";

let db: TestDatabase;
let client: Queryable;
let engine: SoftDeleteEngine;

beforeAll(async () => {
  db = await openTestDatabase();
  // PGlite and node-postgres answer `query(text, params)` alike.
  client = (db.pglite ?? db.pool) as unknown as Queryable;
  engine = makeEngine(db.db);
});

afterAll(async () => {
  await db?.close();
});

test("guards every CASCADE, RESTRICT and DETACH relation of the model, and no NONE relation", async () => {
  const { rows } = await client.query<Record<string, number>>(consistencySql());
  expect(Object.keys(rows[0]!).sort()).toEqual([
    "Comment.replies",
    "Project.tasks",
    "Task.assignments",
    "Task.comments",
    "User.assignments",
    "User.ledProjects",
  ]);
});

test("passes after the engine's cascade, and names the relation a live row under a deleted parent breaks", async () => {
  const ctx = await newTenant(db.db);
  const tree = await seedTree(engine, ctx);
  await engine.softDelete("Project", ctx, tree.project.id);
  await expect(checkConsistency(client, "after the cascade")).resolves.toBeUndefined();

  // The task's top-level comment made live again behind the engine's back: its task stays deleted.
  await client.query(`UPDATE comments SET deleted_at = NULL WHERE id = $1`, [tree.comment.id]);
  await expect(checkConsistency(client, "after the update")).rejects.toThrow(
    "after the update: live rows under deleted parents: Task.comments 1",
  );
  await client.query(`UPDATE comments SET deleted_at = now() WHERE id = $1`, [tree.comment.id]);
});

test("counts one audit entry per changed row under the operation's id, by action and entity type", async () => {
  const ctx = await newTenant(db.db);
  const tree = await seedTree(engine, ctx);
  const deleted = await engine.softDelete("Task", ctx, tree.task.id);
  const cascaded = deleted.cascaded.reduce((n, c) => n + c.count, 0);
  expect(await auditEntries(client, deleted.operationId, "SOFT_DELETE")).toBe(1 + cascaded);
  expect(await auditEntries(client, deleted.operationId, "SOFT_DELETE", "Comment")).toBe(2);
  expect(await auditEntries(client, deleted.operationId, "RESTORE")).toBe(0);
});
