/**
 * Cascading soft delete and exact restore, on PGlite and on PostgreSQL: one operation id per cascade, one
 * audit entry per changed row, each deletion policy, dry runs, the depth limit, ancestors, and statement
 * counts that do not grow with the number of rows.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { OperationContext } from "../../src/engine/context.js";
import type { SoftDeleteEngine, TypeCount } from "../../src/engine/engine.js";
import { ENTITY_TABLES, query, type TestDatabase } from "../support/db.js";
import { buildProject, byType, makeEngine, newTenant, uid, useEngineDatabase } from "../support/fixtures.js";

let db: TestDatabase;
let engine: SoftDeleteEngine;

useEngineDatabase((opened) => ({ db, engine } = opened));

async function newUser(ctx: OperationContext, e: SoftDeleteEngine = engine) {
  return e.create("User", ctx, { email: `${uid()}@example.test`, name: "Someone" });
}

/** A row in any state. */
async function load(ctx: OperationContext, type: string, id: string) {
  const row = await engine.find(type, ctx, id, "ALL");
  if (!row) throw new Error(`${type} ${id} does not exist`);
  return row;
}

const isLive = async (ctx: OperationContext, type: string, id: string) =>
  (await load(ctx, type, id)).deletedAt === null;

/** Every row and every audit entry of the organization, and the detachment log: "nothing changed" compares these. */
async function snapshot(ctx: OperationContext) {
  const org = ctx.organizationId;
  const out: Record<string, unknown> = {};
  for (const table of ENTITY_TABLES)
    out[table] = await query(db.db, `SELECT * FROM ${table} WHERE organization_id = '${org}' ORDER BY id`);
  out.audit = await query(db.db, `SELECT * FROM audit_log WHERE organization_id = '${org}' ORDER BY id`);
  out.detachments = await query(db.db, `SELECT * FROM detachments ORDER BY operation_id, child_id`);
  return out;
}

async function auditOf(operationId: string) {
  return query<{ action: string; entity_type: string; entity_id: string; reason: string | null }>(
    db.db,
    `SELECT action, entity_type, entity_id, reason FROM audit_log WHERE operation_id = '${operationId}' ORDER BY id`,
  );
}

describe("cascading soft delete", () => {
  it("soft-deletes a project's whole live subtree under one operation, one audit entry per row", async () => {
    const ctx = await newTenant(db.db);
    const { project, tasks, lead, member } = await buildProject(engine, ctx, 2);

    const result = await engine.softDelete("Project", ctx, project.id, { reason: "closed" });

    expect(byType(result.cascaded)).toEqual({ Task: 2, Comment: 4, TaskAssignment: 2 });
    expect(result.dryRun).toBe(false);
    const subtree = [
      ["Project", project.id],
      ...tasks.flatMap((t) => [
        ["Task", t.task.id],
        ["Comment", t.comment.id],
        ["Comment", t.reply.id],
        ["TaskAssignment", t.assignment.id],
      ]),
    ] as const;
    const deletedAt = new Set<number>();
    for (const [type, id] of subtree) {
      const row = await load(ctx, type, id);
      expect(row.deletionOperationId, `${type} ${id}`).toBe(result.operationId);
      expect(row.deletionReason).toBe("closed");
      expect(row.deletedBy).toBe(ctx.actor);
      deletedAt.add(row.deletedAt!.getTime());
    }
    // One transaction: one deletion instant.
    expect(deletedAt.size).toBe(1);

    const audit = await auditOf(result.operationId);
    expect(audit.every((a) => a.action === "SOFT_DELETE")).toBe(true);
    // The reason is stored once, on the operation's first entry (the project), not once per cascaded row.
    expect(audit[0]).toMatchObject({ entity_type: "Project", entity_id: project.id, reason: "closed" });
    expect(audit.slice(1).every((a) => a.reason === null)).toBe(true);
    expect(audit.map((a) => `${a.entity_type}:${a.entity_id}`).sort()).toEqual(
      subtree.map(([type, id]) => `${type}:${id}`).sort(),
    );

    // Users are not below a project.
    expect(await isLive(ctx, "User", lead.id)).toBe(true);
    expect(await isLive(ctx, "User", member.id)).toBe(true);
  });

  it("leaves rows that were already deleted alone: no second audit entry, their own operation kept", async () => {
    const ctx = await newTenant(db.db);
    const { project, tasks } = await buildProject(engine, ctx, 2);
    const own = await engine.softDelete("Comment", ctx, tasks[0]!.reply.id, { reason: "spam" });

    const result = await engine.softDelete("Project", ctx, project.id);

    expect(byType(result.cascaded)).toEqual({ Task: 2, Comment: 3, TaskAssignment: 2 });
    const reply = await load(ctx, "Comment", tasks[0]!.reply.id);
    expect(reply.deletionOperationId).toBe(own.operationId);
    expect(reply.deletionReason).toBe("spam");
    expect((await auditOf(result.operationId)).some((a) => a.entity_id === tasks[0]!.reply.id)).toBe(false);
  });

  it("refuses a row that is already deleted, and an unknown id", async () => {
    const ctx = await newTenant(db.db);
    const { project } = await buildProject(engine, ctx, 1);
    await engine.softDelete("Project", ctx, project.id);
    await expect(engine.softDelete("Project", ctx, project.id)).rejects.toMatchObject({ code: "ALREADY_DELETED" });
    await expect(engine.softDelete("Project", ctx, randomUUID())).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("exact restore", () => {
  it("restores the operation's rows; a child deleted earlier on its own keeps its own deletion", async () => {
    const ctx = await newTenant(db.db);
    const { project, tasks } = await buildProject(engine, ctx, 3);
    const [t0, t1, t2] = tasks as [(typeof tasks)[0], (typeof tasks)[0], (typeof tasks)[0]];
    const replyOp = await engine.softDelete("Comment", ctx, t0.reply.id, { reason: "spam" });
    const taskOp = await engine.softDelete("Task", ctx, t1.task.id, { reason: "duplicate" });
    const projectOp = await engine.softDelete("Project", ctx, project.id, { reason: "closed" });

    const restored = await engine.restore("Project", ctx, project.id);

    expect(restored.row.deletedAt).toBeNull();
    expect(byType(restored.cascaded)).toEqual({ Task: 2, Comment: 3, TaskAssignment: 2 });
    for (const [type, id] of [
      ["Task", t0.task.id],
      ["Comment", t0.comment.id],
      ["TaskAssignment", t0.assignment.id],
      ["Task", t2.task.id],
      ["Comment", t2.comment.id],
      ["Comment", t2.reply.id],
      ["TaskAssignment", t2.assignment.id],
    ] as const) {
      const row = await load(ctx, type, id);
      expect(row.deletedAt, `${type} ${id}`).toBeNull();
      expect(row.deletionOperationId).toBeNull();
      expect(row.deletionReason).toBeNull();
    }
    const reply = await load(ctx, "Comment", t0.reply.id);
    expect(reply.deletionOperationId).toBe(replyOp.operationId);
    expect(reply.deletionReason).toBe("spam");
    for (const [type, id] of [
      ["Task", t1.task.id],
      ["Comment", t1.comment.id],
      ["Comment", t1.reply.id],
      ["TaskAssignment", t1.assignment.id],
    ] as const) {
      const row = await load(ctx, type, id);
      expect(row.deletionOperationId, `${type} ${id}`).toBe(taskOp.operationId);
      expect(row.deletionReason).toBe("duplicate");
    }

    // One RESTORE entry per restored row, under the restore's own operation id.
    const audit = await auditOf(restored.operationId);
    expect(audit.every((a) => a.action === "RESTORE")).toBe(true);
    expect(audit).toHaveLength(1 + 2 + 3 + 2);
    expect((await auditOf(projectOp.operationId)).every((a) => a.action === "SOFT_DELETE")).toBe(true);
  });

  it("leaves a row deleted later by another operation untouched", async () => {
    const ctx = await newTenant(db.db);
    const author = await newUser(ctx);
    const { project, tasks } = await buildProject(engine, ctx, 1);
    const task = tasks[0]!.task;
    const comment = await engine.create("Comment", ctx, { taskId: task.id, authorId: author.id, body: "mine" });
    const reply = await engine.create("Comment", ctx, { taskId: task.id, parentId: comment.id, body: "answer" });
    await engine.update("Project", ctx, project.id, { leadId: author.id });

    const first = await engine.softDelete("User", ctx, author.id, { reason: "left" });
    // Later, under their own operations: the author's comment (User.comments is NONE, so it was still live)
    // and the project the author led (DETACH cleared its lead, so it was still live).
    const later = await engine.softDelete("Comment", ctx, comment.id, { reason: "off-topic" });
    const laterProject = await engine.softDelete("Project", ctx, project.id, { reason: "closed" });

    await engine.restore("User", ctx, author.id);

    for (const id of [comment.id, reply.id]) {
      const row = await load(ctx, "Comment", id);
      expect(row.deletionOperationId).toBe(later.operationId);
      expect(row.deletionReason).toBe("off-topic");
    }
    const p = await load(ctx, "Project", project.id);
    expect(p.deletionOperationId).toBe(laterProject.operationId);
    expect(p.deletionReason).toBe("closed");
    expect((await load(ctx, "Task", task.id)).deletionOperationId).toBe(laterProject.operationId);
    expect(first.operationId).not.toBe(later.operationId);
  });

  it("keeps an assignment deleted while its user is still deleted, when its task comes back", async () => {
    const ctx = await newTenant(db.db);
    const { project, tasks, member } = await buildProject(engine, ctx, 1);
    const { task, assignment } = tasks[0]!;
    const projectOp = await engine.softDelete("Project", ctx, project.id);
    await engine.softDelete("User", ctx, member.id);

    const restored = await engine.restore("Project", ctx, project.id);

    expect(byType(restored.cascaded)).toEqual({ Task: 1, Comment: 2 });
    expect(await isLive(ctx, "Task", task.id)).toBe(true);
    const a = await load(ctx, "TaskAssignment", assignment.id);
    expect(a.deletedAt).not.toBeNull();
    expect(a.deletionOperationId).toBe(projectOp.operationId);

    // On its own it needs its user back first, then it can return.
    await expect(engine.restore("TaskAssignment", ctx, assignment.id)).rejects.toMatchObject({
      code: "PARENT_DELETED",
      details: { relation: "User.assignments", parentType: "User", parentId: member.id },
    });
    await engine.restore("User", ctx, member.id);
    expect(await isLive(ctx, "TaskAssignment", assignment.id)).toBe(false);
    await engine.restore("TaskAssignment", ctx, assignment.id);
    expect(await isLive(ctx, "TaskAssignment", assignment.id)).toBe(true);
  });

  it("refuses to restore a live row", async () => {
    const ctx = await newTenant(db.db);
    const { project } = await buildProject(engine, ctx, 1);
    await expect(engine.restore("Project", ctx, project.id)).rejects.toMatchObject({ code: "NOT_DELETED" });
  });
});

describe("deletion policies", () => {
  it("CASCADE: deleting a user deletes their assignments with the same operation", async () => {
    const ctx = await newTenant(db.db);
    const { tasks, member } = await buildProject(engine, ctx, 3);

    const result = await engine.softDelete("User", ctx, member.id);

    expect(byType(result.cascaded)).toEqual({ TaskAssignment: 3 });
    for (const t of tasks) {
      expect((await load(ctx, "TaskAssignment", t.assignment.id)).deletionOperationId).toBe(result.operationId);
      expect(await isLive(ctx, "Task", t.task.id)).toBe(true);
    }
    const restored = await engine.restore("User", ctx, member.id);
    expect(byType(restored.cascaded)).toEqual({ TaskAssignment: 3 });
    for (const t of tasks) expect(await isLive(ctx, "TaskAssignment", t.assignment.id)).toBe(true);
  });

  it("RESTRICT: refuses while live children exist, naming the relation and the count; nothing changes", async () => {
    const restricted = makeEngine(db.db, {}, { "Task.comments": "RESTRICT" });
    const ctx = await newTenant(db.db);
    const { project, tasks } = await buildProject(restricted, ctx, 2);
    const before = await snapshot(ctx);

    await expect(restricted.softDelete("Task", ctx, tasks[0]!.task.id)).rejects.toMatchObject({
      code: "RESTRICTED",
      details: { relation: "Task.comments", type: "Comment", count: 2 },
    });
    // Also when the restricted relation is reached through a cascade.
    await expect(restricted.softDelete("Project", ctx, project.id)).rejects.toMatchObject({
      code: "RESTRICTED",
      details: { relation: "Task.comments", type: "Comment", count: 4 },
    });
    expect(await snapshot(ctx)).toEqual(before);

    // Deleted children do not restrict.
    await restricted.softDelete("Comment", ctx, tasks[0]!.comment.id);
    const result = await restricted.softDelete("Task", ctx, tasks[0]!.task.id);
    expect(byType(result.cascaded)).toEqual({ TaskAssignment: 1 });
  });

  it("DETACH: deleting a user clears projects.lead_id; restore re-attaches it unless the lead changed meanwhile", async () => {
    const ctx = await newTenant(db.db);
    const lead = await newUser(ctx);
    const other = await newUser(ctx);
    const kept = await engine.create("Project", ctx, { slug: `p-${uid()}`, name: "Kept", leadId: lead.id });
    const changed = await engine.create("Project", ctx, { slug: `p-${uid()}`, name: "Changed", leadId: lead.id });

    const deleted = await engine.softDelete("User", ctx, lead.id);

    expect(byType(deleted.cascaded)).toEqual({ Project: 2 });
    for (const p of [kept, changed]) {
      const row = await load(ctx, "Project", p.id);
      expect(row.leadId).toBeNull();
      expect(row.deletedAt).toBeNull();
    }
    const detachAudit = (await auditOf(deleted.operationId)).filter((a) => a.entity_type === "Project");
    expect(detachAudit.map((a) => a.action)).toEqual(["UPDATE", "UPDATE"]);

    await engine.update("Project", ctx, changed.id, { leadId: other.id });
    const restored = await engine.restore("User", ctx, lead.id);

    expect(byType(restored.cascaded)).toEqual({ Project: 1 });
    expect((await load(ctx, "Project", kept.id)).leadId).toBe(lead.id);
    expect((await load(ctx, "Project", changed.id)).leadId).toBe(other.id);
  });

  it("NONE: a deleted user's comments stay live and keep their author_id", async () => {
    const ctx = await newTenant(db.db);
    const { tasks, lead } = await buildProject(engine, ctx, 2);

    const result = await engine.softDelete("User", ctx, lead.id);

    expect(byType(result.cascaded)).not.toHaveProperty("Comment");
    for (const t of tasks) {
      const comment = await load(ctx, "Comment", t.comment.id);
      expect(comment.deletedAt).toBeNull();
      expect(comment.authorId).toBe(lead.id);
    }
    expect((await auditOf(result.operationId)).some((a) => a.entity_type === "Comment")).toBe(false);
  });

  it("engine option cascade: false makes CASCADE behave as RESTRICT", async () => {
    const strict = makeEngine(db.db, { cascade: false });
    const ctx = await newTenant(db.db);
    const { project, tasks, member, lead } = await buildProject(strict, ctx, 3);
    const before = await snapshot(ctx);

    await expect(strict.softDelete("Project", ctx, project.id)).rejects.toMatchObject({
      code: "RESTRICTED",
      details: { relation: "Project.tasks", type: "Task", count: 3 },
    });
    await expect(strict.softDelete("User", ctx, member.id)).rejects.toMatchObject({
      code: "RESTRICTED",
      details: { relation: "User.assignments", type: "TaskAssignment", count: 3 },
    });
    expect(await snapshot(ctx)).toEqual(before);

    // DETACH and NONE are unaffected, and a row without live children is deleted.
    const leadDeleted = await strict.softDelete("User", ctx, lead.id);
    expect(byType(leadDeleted.cascaded)).toEqual({ Project: 1 });
    const reply = await strict.softDelete("Comment", ctx, tasks[0]!.reply.id);
    expect(reply.cascaded).toEqual([]);
  });
});

describe("dry run", () => {
  it("reports the cascade the real delete performs, and changes nothing", async () => {
    const ctx = await newTenant(db.db);
    const { project, lead, tasks } = await buildProject(engine, ctx, 3);
    await engine.softDelete("Comment", ctx, tasks[1]!.reply.id);
    const before = await snapshot(ctx);

    const dry = await engine.softDelete("Project", ctx, project.id, { reason: "try", dryRun: true });
    const dryUser = await engine.softDelete("User", ctx, lead.id, { dryRun: true });

    expect(dry.dryRun).toBe(true);
    expect(await snapshot(ctx)).toEqual(before);
    expect(await auditOf(dry.operationId)).toEqual([]);
    expect(await auditOf(dryUser.operationId)).toEqual([]);

    const real = await engine.softDelete("Project", ctx, project.id, { reason: "real" });
    const realUser = await engine.softDelete("User", ctx, lead.id);
    expect(byType(dry.cascaded)).toEqual(byType(real.cascaded));
    expect(byType(dry.cascaded)).toEqual({ Task: 3, Comment: 5, TaskAssignment: 3 });
    expect(byType(dryUser.cascaded)).toEqual(byType(realUser.cascaded));
  });

  it("reports a refusal as the real delete would", async () => {
    const restricted = makeEngine(db.db, {}, { "Project.tasks": "RESTRICT" });
    const ctx = await newTenant(db.db);
    const { project } = await buildProject(restricted, ctx, 1);
    const before = await snapshot(ctx);
    await expect(restricted.softDelete("Project", ctx, project.id, { dryRun: true })).rejects.toMatchObject({
      code: "RESTRICTED",
      details: { relation: "Project.tasks", count: 1 },
    });
    expect(await snapshot(ctx)).toEqual(before);
  });
});

describe("cascade depth", () => {
  /** A root comment with `depth` replies below it, each answering the previous one. */
  async function replyChain(ctx: OperationContext, depth: number) {
    const { tasks } = await buildProject(engine, ctx, 1);
    const taskId = tasks[0]!.task.id;
    const chain = [await engine.create("Comment", ctx, { taskId, body: "root" })];
    for (let i = 1; i <= depth; i++)
      chain.push(await engine.create("Comment", ctx, { taskId, parentId: chain[i - 1]!.id, body: `reply ${i}` }));
    return chain;
  }

  it("refuses a reply chain deeper than maxCascadeDepth, changing nothing", async () => {
    const shallow = makeEngine(db.db, { maxCascadeDepth: 3 });
    const ctx = await newTenant(db.db);
    const chain = await replyChain(ctx, 4);
    const before = await snapshot(ctx);

    await expect(shallow.softDelete("Comment", ctx, chain[0]!.id)).rejects.toMatchObject({
      code: "RESTRICTED",
      details: { relation: "Comment.replies", maxDepth: 3 },
    });
    expect(await snapshot(ctx)).toEqual(before);

    // Three levels below the target fit.
    const result = await shallow.softDelete("Comment", ctx, chain[1]!.id);
    expect(byType(result.cascaded)).toEqual({ Comment: 3 });
    for (const c of chain.slice(1))
      expect((await load(ctx, "Comment", c.id)).deletionOperationId).toBe(result.operationId);
    expect(await isLive(ctx, "Comment", chain[0]!.id)).toBe(true);
  });

  it("follows a deep self-reference chain to its end, and restores it", async () => {
    const deep = makeEngine(db.db, { maxCascadeDepth: 100 });
    const ctx = await newTenant(db.db);
    const chain = await replyChain(ctx, 40);

    const result = await deep.softDelete("Comment", ctx, chain[0]!.id);

    expect(byType(result.cascaded)).toEqual({ Comment: 40 });
    const restored = await deep.restore("Comment", ctx, chain[0]!.id);
    expect(byType(restored.cascaded)).toEqual({ Comment: 40 });
    for (const c of chain) expect(await isLive(ctx, "Comment", c.id)).toBe(true);
  });

  it("terminates on a reply cycle", async () => {
    const ctx = await newTenant(db.db);
    const { tasks } = await buildProject(engine, ctx, 1);
    const taskId = tasks[0]!.task.id;
    const a = await engine.create("Comment", ctx, { taskId, body: "a" });
    const b = await engine.create("Comment", ctx, { taskId, parentId: a.id, body: "b" });
    // The engine refuses to build a cycle; data from elsewhere (an import, an older version) may hold one.
    await query(db.db, `UPDATE comments SET parent_id = '${b.id}' WHERE id = '${a.id}'`);

    const result = await engine.softDelete("Comment", ctx, a.id);

    expect(byType(result.cascaded)).toEqual({ Comment: 1 });
    expect((await load(ctx, "Comment", b.id)).deletionOperationId).toBe(result.operationId);
  });

  it("refuses to restore a deleted reply cycle, even with ancestors, instead of looping", async () => {
    const ctx = await newTenant(db.db);
    const { tasks } = await buildProject(engine, ctx, 1);
    const taskId = tasks[0]!.task.id;
    const a = await engine.create("Comment", ctx, { taskId, body: "a" });
    const b = await engine.create("Comment", ctx, { taskId, parentId: a.id, body: "b" });
    // The engine refuses to build a cycle; data from elsewhere (an import, an older version) may hold one.
    await query(db.db, `UPDATE comments SET parent_id = '${b.id}' WHERE id = '${a.id}'`);
    await engine.softDelete("Comment", ctx, a.id);
    const before = await snapshot(ctx);

    // Each comment's parent is the other, deleted one: neither can be live first.
    await expect(engine.restore("Comment", ctx, a.id, { withAncestors: true })).rejects.toMatchObject({
      code: "PARENT_DELETED",
    });
    expect(await snapshot(ctx)).toEqual(before);
  }, 20_000);
});

describe("restoring below a deleted parent", () => {
  it("refuses with PARENT_DELETED, naming the parent", async () => {
    const ctx = await newTenant(db.db);
    const { tasks } = await buildProject(engine, ctx, 1);
    const { task, comment } = tasks[0]!;
    await engine.softDelete("Comment", ctx, comment.id);
    await engine.softDelete("Task", ctx, task.id);

    await expect(engine.restore("Comment", ctx, comment.id)).rejects.toMatchObject({
      code: "PARENT_DELETED",
      details: { relation: "Task.comments", parentType: "Task", parentId: task.id },
    });
    expect(await isLive(ctx, "Comment", comment.id)).toBe(false);
  });

  it("withAncestors restores each deleted ancestor with its own operation's rows, then the target", async () => {
    const ctx = await newTenant(db.db);
    const { project, tasks } = await buildProject(engine, ctx, 2);
    const [t0, t1] = tasks as [(typeof tasks)[0], (typeof tasks)[0]];
    const other = await engine.create("Comment", ctx, { taskId: t0.task.id, body: "other" });
    const otherOp = await engine.softDelete("Comment", ctx, other.id, { reason: "earlier" });
    const taskOp = await engine.softDelete("Task", ctx, t0.task.id, { reason: "task" });
    const projectOp = await engine.softDelete("Project", ctx, project.id, { reason: "project" });
    expect((await load(ctx, "Comment", t0.reply.id)).deletionOperationId).toBe(taskOp.operationId);

    const restored = await engine.restore("Comment", ctx, t0.reply.id, { withAncestors: true });

    expect(restored.row.deletedAt).toBeNull();
    // Project (ancestor) with t1's subtree (its operation), t0 (ancestor) with t0's comment and assignment
    // (its operation); the target itself is not counted.
    expect(byType(restored.cascaded)).toEqual({ Project: 1, Task: 2, Comment: 3, TaskAssignment: 2 });
    for (const [type, id] of [
      ["Project", project.id],
      ["Task", t0.task.id],
      ["Comment", t0.comment.id],
      ["Comment", t0.reply.id],
      ["TaskAssignment", t0.assignment.id],
      ["Task", t1.task.id],
      ["Comment", t1.comment.id],
      ["Comment", t1.reply.id],
      ["TaskAssignment", t1.assignment.id],
    ] as const)
      expect(await isLive(ctx, type, id), `${type} ${id}`).toBe(true);
    const stillDeleted = await load(ctx, "Comment", other.id);
    expect(stillDeleted.deletionOperationId).toBe(otherOp.operationId);
    expect(stillDeleted.deletionReason).toBe("earlier");
    expect(projectOp.operationId).not.toBe(taskOp.operationId);
    expect(await auditOf(restored.operationId)).toHaveLength(1 + 2 + 4 + 2);
  });

  it("withAncestors restores a target deleted on its own after its ancestors come back", async () => {
    const ctx = await newTenant(db.db);
    const { tasks } = await buildProject(engine, ctx, 1);
    const { task, comment, reply } = tasks[0]!;
    await engine.softDelete("Comment", ctx, reply.id);
    await engine.softDelete("Comment", ctx, comment.id);
    await engine.softDelete("Task", ctx, task.id);

    const restored = await engine.restore("Comment", ctx, reply.id, { withAncestors: true });

    expect(byType(restored.cascaded)).toEqual({ Task: 1, Comment: 1, TaskAssignment: 1 });
    for (const [type, id] of [
      ["Task", task.id],
      ["Comment", comment.id],
      ["Comment", reply.id],
    ] as const)
      expect(await isLive(ctx, type, id), `${type} ${id}`).toBe(true);
  });
});

describe("set-based cascade", () => {
  it("sends as many statements for a project with 50 tasks as for one with 5", async () => {
    const ctx = await newTenant(db.db);
    const small = await buildProject(engine, ctx, 5);
    const large = await buildProject(engine, ctx, 50);

    const measure = async (work: () => Promise<unknown>) => {
      db.statements.length = 0;
      await work();
      return db.statements.length;
    };
    let smallResult: TypeCount[] = [];
    let largeResult: TypeCount[] = [];
    const smallDelete = await measure(async () => {
      smallResult = (await engine.softDelete("Project", ctx, small.project.id)).cascaded;
    });
    const largeDelete = await measure(async () => {
      largeResult = (await engine.softDelete("Project", ctx, large.project.id)).cascaded;
    });
    expect(byType(smallResult)).toEqual({ Task: 5, Comment: 10, TaskAssignment: 5 });
    expect(byType(largeResult)).toEqual({ Task: 50, Comment: 100, TaskAssignment: 50 });
    expect(largeDelete).toBe(smallDelete);

    const smallRestore = await measure(async () => {
      smallResult = (await engine.restore("Project", ctx, small.project.id)).cascaded;
    });
    const largeRestore = await measure(async () => {
      largeResult = (await engine.restore("Project", ctx, large.project.id)).cascaded;
    });
    expect(byType(smallResult)).toEqual({ Task: 5, Comment: 10, TaskAssignment: 5 });
    expect(byType(largeResult)).toEqual({ Task: 50, Comment: 100, TaskAssignment: 50 });
    expect(largeRestore).toBe(smallRestore);
  });
});
