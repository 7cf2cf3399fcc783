/**
 * The retention purge, on PGlite and on PostgreSQL: a dry run changes nothing and predicts the real run; the
 * real run removes exactly the rows past retention, children with their parents, with one PURGE audit entry
 * per row; roots held by a dependant are skipped and reported; batches commit whole, so an interrupted purge
 * leaves no half-deleted subtree.
 */
import { describe, expect, it } from "vitest";
import type { OperationContext } from "../../src/engine/context.js";
import type { SoftDeleteEngine } from "../../src/engine/engine.js";
import { Maintenance } from "../../src/engine/maintenance.js";
import type { PurgeProgress } from "../../src/engine/retention.js";
import { query, type TestDatabase } from "../support/db.js";
import { buildProject, byType, newTenant, uid, useEngineDatabase } from "../support/fixtures.js";
import { ageOperation, ageRow, auditCount, exists, snapshot } from "../support/retention.js";

let db: TestDatabase;
let engine: SoftDeleteEngine;

useEngineDatabase((opened) => ({ db, engine } = opened));

function maintenance(overrides: Record<string, number> = {}, batchSize = 500) {
  return new Maintenance(engine, db, { retention: { defaultDays: 90, overrides }, purgeBatchSize: batchSize });
}

/** Deletes a project (with its subtree) and moves the deletion `days` days back. */
async function deletedProject(ctx: OperationContext, days: number, tasks = 2) {
  const built = await buildProject(engine, ctx, tasks);
  const { operationId } = await engine.softDelete("Project", ctx, built.project.id, { reason: "done" });
  await ageOperation(db.db, operationId, days);
  return built;
}

describe("purgeExpired", () => {
  it("a dry run changes nothing and counts exactly what the real run then removes, children included", async () => {
    const ctx = await newTenant(db.db);
    const old = await deletedProject(ctx, 100, 2);
    const recent = await deletedProject(ctx, 10, 1);
    const live = await buildProject(engine, ctx, 1);
    // A task deleted on its own long ago, under a live project: it goes with its comments and assignment.
    const loneTask = live.tasks[0]!;
    const { operationId } = await engine.softDelete("Task", ctx, loneTask.task.id);
    await ageOperation(db.db, operationId, 120);
    const m = maintenance();

    const before = await snapshot(db.db, ctx.organizationId);
    const auditBefore = await auditCount(db.db);
    const dry = await m.purgeExpired({ dryRun: true, organizationId: ctx.organizationId });
    expect(await snapshot(db.db, ctx.organizationId)).toEqual(before);
    expect(await auditCount(db.db)).toBe(auditBefore);
    expect(dry).toMatchObject({ dryRun: true, alreadyRunning: false, operationId: null, skippedCount: 0 });
    // The old project: project, 2 tasks, 2 comments + 2 replies, 2 assignments; the lone task: task, comment,
    // reply, assignment. Users are never cascaded (the project's lead was only detached).
    const expected = { Project: 1, Task: 3, Comment: 6, TaskAssignment: 3 };
    expect(byType(dry.purged)).toEqual(expected);

    const real = await m.purgeExpired({ dryRun: false, organizationId: ctx.organizationId, actor: "ops@example.test" });
    expect(real).toMatchObject({ dryRun: false, alreadyRunning: false, interrupted: false, skippedCount: 0 });
    expect(byType(real.purged)).toEqual(expected);

    const after = await snapshot(db.db, ctx.organizationId);
    const gone = Object.values(before)
      .flat()
      .filter((id) => !Object.values(after).flat().includes(id));
    const expectedGone = [
      old.project.id,
      ...old.tasks.flatMap((t) => [t.task.id, t.comment.id, t.reply.id, t.assignment.id]),
      loneTask.task.id,
      loneTask.comment.id,
      loneTask.reply.id,
      loneTask.assignment.id,
    ];
    expect(gone.sort()).toEqual(expectedGone.sort());
    // The recent deletion and every live row stay.
    expect(await exists(db.db, "projects", recent.project.id)).toBe(true);
    expect(await exists(db.db, "tasks", recent.tasks[0]!.task.id)).toBe(true);
    expect(await exists(db.db, "projects", live.project.id)).toBe(true);
    expect(await exists(db.db, "users", old.lead.id)).toBe(true);

    // One PURGE entry per removed row: which row, who, when, why; never its content.
    const entries = await query<{ entity_id: string; reason: string; subject: string; changed_fields: string[] }>(
      db.db,
      `SELECT a.entity_id, COALESCE(a.reason, (SELECT f.reason FROM audit_log f WHERE f.operation_id = a.operation_id AND f.reason IS NOT NULL ORDER BY f.id LIMIT 1)) AS reason, ac.subject, a.changed_fields FROM audit_log a JOIN actors ac ON ac.id = a.actor_id
       WHERE a.action = 'PURGE' AND a.operation_id = '${real.operationId}'`,
    );
    expect(entries.map((e) => e.entity_id).sort()).toEqual(expectedGone.sort());
    for (const e of entries) {
      expect(e.subject).toBe("ops@example.test");
      expect(e.reason).toMatch(/^retention: deleted more than \d+ days ago$/);
      expect(e.changed_fields).toEqual([]);
    }

    // Nothing is left to purge.
    const again = await m.purgeExpired({ dryRun: false, organizationId: ctx.organizationId });
    expect(again.purged).toEqual([]);
  });

  it("stays within the organization it is given, and purges every organization without one", async () => {
    const a = await newTenant(db.db);
    const b = await newTenant(db.db);
    const inA = await deletedProject(a, 100, 1);
    const inB = await deletedProject(b, 100, 1);
    const m = maintenance();
    await m.purgeExpired({ dryRun: false, organizationId: a.organizationId });
    expect(await exists(db.db, "projects", inA.project.id)).toBe(false);
    expect(await exists(db.db, "projects", inB.project.id)).toBe(true);
    const all = await m.purgeExpired({ dryRun: false });
    expect(await exists(db.db, "projects", inB.project.id)).toBe(false);
    expect(byType(all.purged)).toMatchObject({ Project: 1, Task: 1 });
    // Without a caller, the system actor purges.
    expect(
      await auditCount(
        db.db,
        `operation_id = '${all.operationId}' AND actor_id IN (SELECT id FROM actors WHERE subject = 'system:retention')`,
      ),
    ).toBeGreaterThan(0);
  });

  it("`type` purges only roots of that type, each with its subtree", async () => {
    const ctx = await newTenant(db.db);
    const project = await deletedProject(ctx, 100, 1);
    const live = await buildProject(engine, ctx, 1);
    const comment = live.tasks[0]!.comment;
    const { operationId } = await engine.softDelete("Comment", ctx, comment.id);
    await ageOperation(db.db, operationId, 100);
    const report = await maintenance().purgeExpired({
      dryRun: false,
      organizationId: ctx.organizationId,
      type: "Comment",
    });
    // Every expired comment with its replies: the one deleted on its own, and those of the project deleted
    // long ago; the project and its task are another type's roots and stay.
    expect(byType(report.purged)).toEqual({ Comment: 4 });
    expect(await exists(db.db, "comments", comment.id)).toBe(false);
    expect(await exists(db.db, "comments", live.tasks[0]!.reply.id)).toBe(false);
    expect(await exists(db.db, "comments", project.tasks[0]!.reply.id)).toBe(false);
    expect(await exists(db.db, "tasks", project.tasks[0]!.task.id)).toBe(true);
    expect(await exists(db.db, "task_assignments", project.tasks[0]!.assignment.id)).toBe(true);
    expect(await exists(db.db, "projects", project.project.id)).toBe(true);
    await expect(maintenance().purgeExpired({ dryRun: true, type: "Nope" })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
    });
  });

  it("retention per type: a row goes after its own retention, and never takes a dependant still within its own", async () => {
    const ctx = await newTenant(db.db);
    // Comments are kept 30 days: a comment deleted 40 days ago under a live task goes.
    const live = await buildProject(engine, ctx, 1);
    const { operationId } = await engine.softDelete("Comment", ctx, live.tasks[0]!.comment.id);
    await ageOperation(db.db, operationId, 40);
    const short = await maintenance({ Comment: 30 }).purgeExpired({
      dryRun: false,
      organizationId: ctx.organizationId,
    });
    expect(byType(short.purged)).toEqual({ Comment: 2 });

    // Tasks kept 30 days but comments 365: a task deleted 40 days ago keeps waiting for its comments.
    const project = await buildProject(engine, ctx, 1);
    const task = project.tasks[0]!;
    const del = await engine.softDelete("Task", ctx, task.task.id);
    await ageOperation(db.db, del.operationId, 40);
    const m = maintenance({ Task: 30, Comment: 365, TaskAssignment: 30 });
    const dry = await m.purgeExpired({ dryRun: true, organizationId: ctx.organizationId });
    const held = await m.purgeExpired({ dryRun: false, organizationId: ctx.organizationId });
    for (const report of [dry, held]) {
      expect(report.purged).toEqual([]);
      expect(report.skippedCount).toBe(1);
      expect(report.skipped[0]).toMatchObject({
        type: "Task",
        id: task.task.id,
        reason: "RETAINED_DEPENDANT",
        dependantType: "Comment",
      });
    }
    expect(await exists(db.db, "tasks", task.task.id)).toBe(true);
    expect(await exists(db.db, "comments", task.comment.id)).toBe(true);

    // 0 keeps a type forever.
    const forever = await maintenance({ Task: 0 }).purgeExpired({
      dryRun: true,
      organizationId: ctx.organizationId,
      type: "Task",
    });
    expect(forever.purged).toEqual([]);
    expect(forever.batches).toBe(0);
  });

  it("skips a root that still has a live dependant, reports it, and purges the rest of its batch", async () => {
    const ctx = await newTenant(db.db);
    const broken = await deletedProject(ctx, 100, 1);
    const fine = await deletedProject(ctx, 100, 1);
    // A live comment under a deleted task: what the engine never allows, written behind its back.
    await query(db.db, `UPDATE comments SET deleted_at = NULL WHERE id = '${broken.tasks[0]!.comment.id}'`);
    const m = maintenance();
    const dry = await m.purgeExpired({ dryRun: true, organizationId: ctx.organizationId });
    const real = await m.purgeExpired({ dryRun: false, organizationId: ctx.organizationId });
    for (const report of [dry, real]) {
      expect(report.skippedCount).toBe(1);
      expect(report.skipped).toEqual([
        {
          type: "Project",
          id: broken.project.id,
          organizationId: ctx.organizationId,
          reason: "LIVE_DEPENDANT",
          dependantType: "Comment",
          dependantId: broken.tasks[0]!.comment.id,
        },
      ]);
      expect(byType(report.purged)).toEqual({ Project: 1, Task: 1, Comment: 2, TaskAssignment: 1 });
    }
    expect(real.batches).toBe(1);
    expect(await exists(db.db, "projects", fine.project.id)).toBe(false);
    expect(await exists(db.db, "projects", broken.project.id)).toBe(true);
    expect(await exists(db.db, "tasks", broken.tasks[0]!.task.id)).toBe(true);
  });

  it("works in batches of PURGE_BATCH_SIZE roots, reporting progress after each", async () => {
    const ctx = await newTenant(db.db);
    for (let i = 0; i < 5; i++) await deletedProject(ctx, 100 + i, 1);
    const progress: PurgeProgress[] = [];
    const report = await maintenance({}, 2).purgeExpired({
      dryRun: false,
      organizationId: ctx.organizationId,
      onProgress: (p) => void progress.push(p),
    });
    expect(report.batches).toBe(3);
    expect(byType(report.purged)).toEqual({ Project: 5, Task: 5, Comment: 10, TaskAssignment: 5 });
    expect(progress.map((p) => p.rootsDone)).toEqual([2, 4, 5]);
    expect(progress.every((p) => p.rootsTotal === 5 && p.type === "Project")).toBe(true);
    expect(progress.at(-1)!.rowsPurged).toBe(25);
  });

  it("an interrupted purge leaves no half-deleted subtree: a failing batch rolls back whole", async () => {
    const ctx = await newTenant(db.db);
    const first = await deletedProject(ctx, 200, 2);
    const second = await deletedProject(ctx, 100, 2);
    // The project row is deleted last in its subtree (children first): fail right there, after its tasks,
    // comments and assignments were deleted in the same transaction.
    await query(
      db.db,
      `CREATE FUNCTION refuse_purge() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'interrupted on purpose'; END; $$`,
    );
    await query(
      db.db,
      `CREATE TRIGGER refuse_purge BEFORE DELETE ON projects FOR EACH ROW
         WHEN (OLD.id = '${second.project.id}') EXECUTE FUNCTION refuse_purge()`,
    );
    try {
      await expect(
        maintenance({}, 1).purgeExpired({ dryRun: false, organizationId: ctx.organizationId }),
      ).rejects.toThrow();
    } finally {
      await query(db.db, `DROP TRIGGER refuse_purge ON projects`);
      await query(db.db, `DROP FUNCTION refuse_purge()`);
    }
    // The first batch committed whole; the second rolled back whole.
    for (const t of first.tasks) expect(await exists(db.db, "tasks", t.task.id)).toBe(false);
    expect(await exists(db.db, "projects", first.project.id)).toBe(false);
    expect(await exists(db.db, "projects", second.project.id)).toBe(true);
    for (const t of second.tasks) {
      expect(await exists(db.db, "tasks", t.task.id)).toBe(true);
      expect(await exists(db.db, "comments", t.comment.id)).toBe(true);
      expect(await exists(db.db, "comments", t.reply.id)).toBe(true);
      expect(await exists(db.db, "task_assignments", t.assignment.id)).toBe(true);
    }
    expect(await auditCount(db.db, `action = 'PURGE' AND entity_id = '${second.tasks[0]!.task.id}'`)).toBe(0);

    // Stopped between batches (a scheduler shutting down): committed batches stay, the rest stays whole.
    const abort = new AbortController();
    const third = await deletedProject(ctx, 300, 1);
    const stopped = await maintenance({}, 1).purgeExpired({
      dryRun: false,
      organizationId: ctx.organizationId,
      signal: abort.signal,
      onProgress: () => abort.abort(),
    });
    expect(stopped).toMatchObject({ interrupted: true, batches: 1 });
    // Oldest first: the third project went, the second stays with its whole subtree.
    expect(byType(stopped.purged)).toEqual({ Project: 1, Task: 1, Comment: 2, TaskAssignment: 1 });
    expect(await exists(db.db, "projects", third.project.id)).toBe(false);
    expect(await exists(db.db, "projects", second.project.id)).toBe(true);
    for (const t of second.tasks) expect(await exists(db.db, "comments", t.reply.id)).toBe(true);
  });

  it("forgets the detachments of purged rows: they can never be re-attached", async () => {
    const ctx = await newTenant(db.db);
    const lead = await engine.create("User", ctx, { email: `${uid()}@example.test`, name: "Lead" });
    const project = await engine.create("Project", ctx, { slug: `p-${uid()}`, name: "Led", leadId: lead.id });
    const { operationId } = await engine.softDelete("User", ctx, lead.id);
    expect(await query(db.db, `SELECT 1 FROM detachments WHERE operation_id = '${operationId}'`)).toHaveLength(1);
    await ageRow(db.db, "users", lead.id, 100);
    const report = await maintenance().purgeExpired({ dryRun: false, organizationId: ctx.organizationId });
    expect(byType(report.purged)).toEqual({ User: 1 });
    expect(await query(db.db, `SELECT 1 FROM detachments WHERE operation_id = '${operationId}'`)).toHaveLength(0);
    expect((await engine.find("Project", ctx, project.id))?.leadId).toBeNull();
  });

  it("a real purge runs alone: while one holds the lock another does nothing and says so; dry runs need no lock", async () => {
    const ctx = await newTenant(db.db);
    const target = await deletedProject(ctx, 100, 1);
    const first = maintenance();
    const second = maintenance();
    let release!: () => void;
    const paused = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const inside = new Promise<void>((r) => (reached = r));
    const running = first.purgeExpired({
      dryRun: false,
      organizationId: ctx.organizationId,
      batchSize: 1,
      onProgress: async () => {
        reached();
        await paused;
      },
    });
    await inside;
    try {
      expect(await second.purgeExpired({ dryRun: false, organizationId: ctx.organizationId })).toMatchObject({
        alreadyRunning: true,
        purged: [],
      });
      expect((await second.purgeExpired({ dryRun: true, organizationId: ctx.organizationId })).alreadyRunning).toBe(
        false,
      );
    } finally {
      release();
    }
    expect(byType((await running).purged)).toMatchObject({ Project: 1 });
    expect(await exists(db.db, "projects", target.project.id)).toBe(false);
    // The lock is free again.
    expect((await second.purgeExpired({ dryRun: false, organizationId: ctx.organizationId })).alreadyRunning).toBe(
      false,
    );
  });
});
