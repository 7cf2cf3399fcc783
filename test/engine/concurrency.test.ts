/**
 * Races between engine operations on separate connections. Each race runs many rounds, and after each round
 * the outcome is checked against the invariants the engine promises: one winner where only one can win, one
 * audit entry per effective change, and never a live child under a deleted parent.
 */
import { describe, expect, it } from "vitest";

import type { SoftDeleteEngine, TypeCount } from "../../src/engine/engine.js";
import { onPostgres, query, type TestDatabase, useRacingHandles } from "../support/db.js";
import { buildProject, makeEngine, newTenant } from "../support/fixtures.js";

const ROUNDS = 25;

describe.skipIf(!onPostgres)("concurrent operations (PostgreSQL only: PGlite is a single connection)", () => {
  let db: TestDatabase;
  /** One engine per connection pool: operations in a race never share a connection. */
  let a: SoftDeleteEngine;
  let b: SoftDeleteEngine;

  useRacingHandles((opened) => {
    db = opened.db;
    a = makeEngine(opened.handles[0].db);
    b = makeEngine(opened.handles[1].db);
  });

  /** "ok" for a fulfilled operation, else the engine error's code (or the unexpected error itself). */
  const outcome = (r: PromiseSettledResult<unknown>): unknown =>
    r.status === "fulfilled" ? "ok" : ((r.reason as { code?: unknown })?.code ?? r.reason);

  const total = (list: TypeCount[]) => list.reduce((n, c) => n + c.count, 0);

  /** Every row of the project's subtree (project included), as [table, id]. */
  async function subtree(projectId: string) {
    return query<{ tbl: string; id: string; op: string | null; deleted: boolean }>(
      db.db,
      `SELECT 'projects' AS tbl, id, deletion_operation_id AS op, is_deleted AS deleted FROM projects WHERE id = '${projectId}'
       UNION ALL SELECT 'tasks', id, deletion_operation_id, is_deleted FROM tasks WHERE project_id = '${projectId}'
       UNION ALL SELECT 'comments', c.id, c.deletion_operation_id, c.is_deleted FROM comments c
         JOIN tasks t ON t.id = c.task_id WHERE t.project_id = '${projectId}'
       UNION ALL SELECT 'task_assignments', x.id, x.deletion_operation_id, x.is_deleted FROM task_assignments x
         JOIN tasks t ON t.id = x.task_id WHERE t.project_id = '${projectId}'`,
    );
  }

  /** Live rows under a deleted parent, over every CASCADE relation of the model: must always be zero. */
  async function orphans(orgId: string) {
    const [row] = await query<{ n: number }>(
      db.db,
      `SELECT
         (SELECT count(*) FROM tasks c JOIN projects p ON p.id = c.project_id
            WHERE c.organization_id = '${orgId}' AND c.deleted_at IS NULL AND p.deleted_at IS NOT NULL)
       + (SELECT count(*) FROM comments c JOIN tasks p ON p.id = c.task_id
            WHERE c.organization_id = '${orgId}' AND c.deleted_at IS NULL AND p.deleted_at IS NOT NULL)
       + (SELECT count(*) FROM comments c JOIN comments p ON p.id = c.parent_id
            WHERE c.organization_id = '${orgId}' AND c.deleted_at IS NULL AND p.deleted_at IS NOT NULL)
       + (SELECT count(*) FROM task_assignments c JOIN tasks p ON p.id = c.task_id
            WHERE c.organization_id = '${orgId}' AND c.deleted_at IS NULL AND p.deleted_at IS NOT NULL)
       + (SELECT count(*) FROM task_assignments c JOIN users p ON p.id = c.user_id
            WHERE c.organization_id = '${orgId}' AND c.deleted_at IS NULL AND p.deleted_at IS NOT NULL)
       AS n`,
    );
    return Number(row!.n);
  }

  /** The audit actions recorded for one row, in order (CREATE excluded). */
  async function actionsOf(entityId: string) {
    const found = await query<{ action: string; operation_id: string }>(
      db.db,
      `SELECT action, operation_id FROM audit_log WHERE entity_id = '${entityId}' AND action <> 'CREATE' ORDER BY id`,
    );
    return found;
  }

  /** SOFT_DELETE entries per row of `ids`. */
  async function softDeleteEntries(ids: string[]) {
    const list = ids.map((id) => `'${id}'`).join(",");
    const found = await query<{ entity_id: string; n: number }>(
      db.db,
      `SELECT entity_id, count(*)::int AS n FROM audit_log
       WHERE action = 'SOFT_DELETE' AND entity_id IN (${list}) GROUP BY entity_id`,
    );
    return new Map(found.map((r) => [r.entity_id, r.n]));
  }

  it("two softDeletes of one row: exactly one wins, the other is ALREADY_DELETED, one audit entry", async () => {
    const ctx = await newTenant(db.db);
    const { project } = await buildProject(a, ctx, 0);
    for (let round = 0; round < ROUNDS; round++) {
      const task = await a.create("Task", ctx, { projectId: project.id, title: `round ${round}` });
      const comment = await a.create("Comment", ctx, { taskId: task.id, body: "under it" });

      const results = await Promise.allSettled([
        a.softDelete("Task", ctx, task.id, { reason: "a" }),
        b.softDelete("Task", ctx, task.id, { reason: "b" }),
      ]);

      expect(results.map(outcome).sort(), `round ${round}`).toEqual(["ALREADY_DELETED", "ok"]);
      const winner = results.find((r) => r.status === "fulfilled")!.value;
      expect(winner.cascaded).toEqual([{ type: "Comment", count: 1 }]);
      for (const id of [task.id, comment.id]) {
        const entries = await actionsOf(id);
        expect(entries, `round ${round}`).toEqual([{ action: "SOFT_DELETE", operation_id: winner.operationId }]);
      }
      const row = (await a.find("Task", ctx, task.id, "ALL"))!;
      expect(row.deletionOperationId).toBe(winner.operationId);
    }
  });

  it("softDelete racing restore: the final state follows the audit trail, one entry per effective change", async () => {
    const ctx = await newTenant(db.db);
    const { tasks } = await buildProject(a, ctx, 1);
    const { task, comment, reply, assignment } = tasks[0]!;
    const subtreeIds = [comment.id, reply.id, assignment.id];
    const succeeded: { action: string; operationId: string }[] = [];

    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which side starts first, and add a second delete every third round.
      const ops: Promise<{ action: string; operationId: string }>[] = [];
      const del = (e: SoftDeleteEngine) =>
        e.softDelete("Task", ctx, task.id).then((r) => ({ action: "SOFT_DELETE", operationId: r.operationId }));
      const res = (e: SoftDeleteEngine) =>
        e.restore("Task", ctx, task.id).then((r) => ({ action: "RESTORE", operationId: r.operationId }));
      if (round % 2) ops.push(del(a), res(b));
      else ops.push(res(a), del(b));
      if (round % 3 === 0) ops.push(del(round % 2 ? b : a));
      const results = await Promise.allSettled(ops);

      for (const r of results) {
        expect(["ok", "ALREADY_DELETED", "NOT_DELETED"], `round ${round}`).toContain(outcome(r));
        if (r.status === "fulfilled") succeeded.push(r.value);
      }
      const deleted = (await a.find("Task", ctx, task.id, "ALL"))!.deletedAt !== null;
      for (const id of subtreeIds) {
        const row = await query<{ deleted: boolean }>(
          db.db,
          `SELECT is_deleted AS deleted FROM comments WHERE id = '${id}'
           UNION ALL SELECT is_deleted FROM task_assignments WHERE id = '${id}'`,
        );
        expect(row[0]!.deleted, `round ${round}: ${id} follows its task`).toBe(deleted);
      }
      expect(await orphans(ctx.organizationId)).toBe(0);
    }

    // The task's trail is exactly the successful operations, alternating, and the state is its last entry.
    const trail = await actionsOf(task.id);
    expect(trail.map((e) => e.operation_id).sort()).toEqual(succeeded.map((s) => s.operationId).sort());
    trail.forEach((e, i) => expect(e.action).toBe(i % 2 === 0 ? "SOFT_DELETE" : "RESTORE"));
    const deleted = (await a.find("Task", ctx, task.id, "ALL"))!.deletedAt !== null;
    expect(deleted).toBe(trail.at(-1)?.action === "SOFT_DELETE");
    // Every row of the subtree changed with the task, in the same operations.
    for (const id of subtreeIds) expect(await actionsOf(id)).toEqual(trail);
  });

  it("a project cascade racing a new comment under one of its tasks never leaves a live comment under a deleted task", async () => {
    const ctx = await newTenant(db.db);
    const outcomes = new Map<unknown, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const { project, tasks } = await buildProject(a, ctx, 3);
      const target = tasks[round % 3]!;
      // Half the rounds add a reply, which has a second parent (the comment) that the cascade also deletes.
      const values =
        round % 2
          ? { taskId: target.task.id, parentId: target.comment.id, body: "late reply" }
          : { taskId: target.task.id, body: "late comment" };

      const [deleted, created] = await Promise.allSettled([
        a.softDelete("Project", ctx, project.id),
        b.create("Comment", ctx, values),
      ]);

      expect(outcome(deleted), `round ${round}`).toBe("ok");
      expect(["ok", "PARENT_DELETED"], `round ${round}`).toContain(outcome(created));
      outcomes.set(outcome(created), (outcomes.get(outcome(created)) ?? 0) + 1);
      expect(await orphans(ctx.organizationId), `round ${round}`).toBe(0);
      const op = (deleted as PromiseFulfilledResult<{ operationId: string }>).value.operationId;
      // Whichever way it went, the whole subtree, the new comment included, is deleted by the cascade.
      const rows = await subtree(project.id);
      expect(rows.length).toBe(1 + 3 * 4 + (created.status === "fulfilled" ? 1 : 0));
      for (const r of rows) expect(r, `round ${round}`).toMatchObject({ deleted: true, op });
    }
    // Both orders of the race are valid; neither count is asserted, only the invariant in every round.
    expect([...outcomes.values()].reduce((x, y) => x + y)).toBe(ROUNDS);
  });

  it("a project cascade racing a task's own softDelete: one audit entry per changed row", async () => {
    const ctx = await newTenant(db.db);
    for (let round = 0; round < ROUNDS; round++) {
      const { project, tasks } = await buildProject(a, ctx, 3);
      const target = tasks[round % 3]!;

      const [projectResult, taskResult] = await Promise.allSettled([
        a.softDelete("Project", ctx, project.id),
        b.softDelete("Task", ctx, target.task.id),
      ]);

      expect(outcome(projectResult), `round ${round}`).toBe("ok");
      expect(["ok", "ALREADY_DELETED"], `round ${round}`).toContain(outcome(taskResult));
      const rows = await subtree(project.id);
      expect(rows.every((r) => r.deleted)).toBe(true);
      const entries = await softDeleteEntries(rows.map((r) => r.id));
      for (const r of rows) expect(entries.get(r.id), `round ${round}: ${r.tbl} ${r.id}`).toBe(1);

      // The two results together account for every row exactly once.
      const projectChanged =
        1 + total((projectResult as PromiseFulfilledResult<{ cascaded: TypeCount[] }>).value.cascaded);
      const taskChanged = taskResult.status === "fulfilled" ? 1 + total(taskResult.value.cascaded) : 0;
      expect(projectChanged + taskChanged).toBe(rows.length);
      // The target's subtree went with whichever operation deleted the target.
      const targetOp = rows.find((r) => r.id === target.task.id)!.op;
      for (const id of [target.comment.id, target.reply.id, target.assignment.id])
        expect(rows.find((r) => r.id === id)!.op).toBe(targetOp);
      expect(await orphans(ctx.organizationId)).toBe(0);
    }
  });

  it("a project cascade racing a task's restore never leaves a live task under a deleted project", async () => {
    const ctx = await newTenant(db.db);
    for (let round = 0; round < ROUNDS; round++) {
      const { project, tasks } = await buildProject(a, ctx, 3);
      const target = tasks[round % 3]!;
      const earlier = await a.softDelete("Task", ctx, target.task.id);

      const [projectResult, restoreResult] = await Promise.allSettled([
        a.softDelete("Project", ctx, project.id),
        b.restore("Task", ctx, target.task.id),
      ]);

      expect(outcome(projectResult), `round ${round}`).toBe("ok");
      expect(["ok", "PARENT_DELETED"], `round ${round}`).toContain(outcome(restoreResult));
      expect(await orphans(ctx.organizationId), `round ${round}`).toBe(0);
      const rows = await subtree(project.id);
      expect(
        rows.every((r) => r.deleted),
        `round ${round}`,
      ).toBe(true);

      // One entry per effective change on the target: deleted, then (if the restore won) restored and
      // deleted again by the cascade.
      const op = (projectResult as PromiseFulfilledResult<{ operationId: string }>).value.operationId;
      const trail = await actionsOf(target.task.id);
      if (restoreResult.status === "fulfilled")
        expect(trail).toEqual([
          { action: "SOFT_DELETE", operation_id: earlier.operationId },
          { action: "RESTORE", operation_id: restoreResult.value.operationId },
          { action: "SOFT_DELETE", operation_id: op },
        ]);
      else expect(trail).toEqual([{ action: "SOFT_DELETE", operation_id: earlier.operationId }]);
      const targetOp = rows.find((r) => r.id === target.task.id)!.op;
      for (const id of [target.comment.id, target.reply.id, target.assignment.id])
        expect(rows.find((r) => r.id === id)!.op).toBe(targetOp);
    }
  });
});
