/**
 * Single-row engine operations: each write leaves exactly its audit entries, each expected failure has its
 * code, and a failed operation leaves neither a change nor an audit entry.
 */
import { sql, type SQL } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { RELATIONS } from "../../src/domain/model.js";
import { DELETION_FIELDS } from "../../src/engine/audit.js";
import type { OperationContext } from "../../src/engine/context.js";
import type { SoftDeleteEngine } from "../../src/engine/engine.js";
import { pgError } from "../../src/engine/pg-errors.js";
import type { DeletionPolicy } from "../../src/engine/registry.js";
import { ENTITY_TABLES, rowsOf, type TestDatabase } from "../support/db.js";
import { engineError } from "../support/errors.js";
import { makeEngine, newTenant, seedTree, useEngineDatabase } from "../support/fixtures.js";

let db: TestDatabase;
let engine: SoftDeleteEngine;
let ctx: OperationContext;

useEngineDatabase((opened) => ({ db, engine, ctx } = opened), { tenant: true });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface AuditEntry {
  action: string;
  entity_type: string;
  entity_id: string;
  organization_id: string;
  request_id: string | null;
  operation_id: string;
  reason: string | null;
  changed_fields: string[] | null;
  actor_subject: string;
  actor_org: string;
}

/** The audit entries of some rows (or of an operation), oldest first, with the actor they point to. */
async function auditOf(where: SQL): Promise<AuditEntry[]> {
  return rowsOf<AuditEntry>(
    db.db,
    sql`SELECT a.action, a.entity_type, a.entity_id, a.organization_id, a.request_id, a.operation_id, a.reason,
          a.changed_fields, ac.subject AS actor_subject, ac.organization_id AS actor_org
        FROM audit_log a JOIN actors ac ON ac.id = a.actor_id
        WHERE ${where} ORDER BY a.id`,
  );
}
const auditOfRow = (id: string) => auditOf(sql`a.entity_id = ${id}`);

async function auditCount(organizationId: string): Promise<number> {
  const [r] = await rowsOf<{ n: number }>(
    db.db,
    sql`SELECT count(*)::int AS n FROM audit_log WHERE organization_id = ${organizationId}`,
  );
  return r!.n;
}

/** Every soft-deletable row of an organization, as stored: a change anywhere makes it differ. */
async function orgState(organizationId: string) {
  const state: Record<string, unknown[]> = {};
  for (const table of ENTITY_TABLES) {
    state[table] = await rowsOf(
      db.db,
      sql`SELECT * FROM ${sql.identifier(table)} WHERE organization_id = ${organizationId} ORDER BY id`,
    );
  }
  state.audit = await rowsOf(db.db, sql`SELECT * FROM audit_log WHERE organization_id = ${organizationId} ORDER BY id`);
  return state;
}

let n = 0;
const email = () => `member${++n}-${Math.random().toString(36).slice(2, 8)}@example.test`;
const slug = () => `project-${++n}-${Math.random().toString(36).slice(2, 8)}`;

describe("create and update", () => {
  it("create writes the row and one CREATE audit entry with actor, request, operation and fields", async () => {
    const address = email();
    const user = await engine.create("User", ctx, { email: address, name: "Ada" });
    expect(user).toMatchObject({
      email: address,
      name: "Ada",
      organizationId: ctx.organizationId,
      createdBy: ctx.actor,
      updatedBy: ctx.actor,
      deletedAt: null,
    });

    const audit = await auditOfRow(user.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: "CREATE",
      entity_type: "User",
      entity_id: user.id,
      organization_id: ctx.organizationId,
      request_id: ctx.requestId,
      reason: null,
      actor_subject: ctx.actor,
      actor_org: ctx.organizationId,
    });
    expect(audit[0]!.operation_id).toMatch(UUID);
    expect([...audit[0]!.changed_fields!].sort()).toEqual(["email", "name"]);
  });

  it("update writes only the fields whose value changed, with one UPDATE audit entry naming them", async () => {
    const address = email();
    const user = await engine.create("User", ctx, { email: address, name: "Bea" });
    const other: OperationContext = { ...ctx, actor: "bob@example.test", requestId: "req-update" };

    const updated = await engine.update("User", other, user.id, { email: address, name: "Beatrice" });
    expect(updated).toMatchObject({ email: address, name: "Beatrice", updatedBy: "bob@example.test" });
    expect(updated.createdBy).toBe(ctx.actor);

    const audit = await auditOfRow(user.id);
    expect(audit.map((a) => a.action)).toEqual(["CREATE", "UPDATE"]);
    expect(audit[1]).toMatchObject({
      entity_type: "User",
      organization_id: ctx.organizationId,
      request_id: "req-update",
      actor_subject: "bob@example.test",
      actor_org: ctx.organizationId,
      changed_fields: ["name"],
    });
    expect(audit[1]!.operation_id).toMatch(UUID);
    expect(audit[1]!.operation_id).not.toBe(audit[0]!.operation_id);
  });

  it("an update that changes nothing writes nothing and audits nothing", async () => {
    const user = await engine.create("User", ctx, { email: email(), name: "Cal" });
    const [before] = await rowsOf(db.db, sql`SELECT * FROM users WHERE id = ${user.id}`);

    const same = await engine.update("User", ctx, user.id, { name: "Cal", email: user.email });
    expect(same.id).toBe(user.id);

    const [after] = await rowsOf(db.db, sql`SELECT * FROM users WHERE id = ${user.id}`);
    expect(after).toEqual(before);
    expect((await auditOfRow(user.id)).map((a) => a.action)).toEqual(["CREATE"]);
  });

  it("refuses to update a deleted row with ALREADY_DELETED, changing nothing", async () => {
    const user = await engine.create("User", ctx, { email: email(), name: "Dot" });
    await engine.softDelete("User", ctx, user.id);
    const before = await orgState(ctx.organizationId);

    const err = await engineError(engine.update("User", ctx, user.id, { name: "Dorothy" }));
    expect(err.code).toBe("ALREADY_DELETED");
    expect(err.details).toMatchObject({ type: "User", id: user.id });

    expect(await orgState(ctx.organizationId)).toEqual(before);
  });

  it("refuses to create a child under a deleted parent with PARENT_DELETED, creating nothing", async () => {
    const project = await engine.create("Project", ctx, { slug: slug(), name: "Gone soon" });
    await engine.softDelete("Project", ctx, project.id);
    const before = await orgState(ctx.organizationId);

    const err = await engineError(engine.create("Task", ctx, { projectId: project.id, title: "orphan" }));
    expect(err.code).toBe("PARENT_DELETED");
    expect(err.details).toMatchObject({
      type: "Task",
      relation: "Project.tasks",
      parentType: "Project",
      parentId: project.id,
    });

    expect(await orgState(ctx.organizationId)).toEqual(before);
  });

  it("refuses to move a live row under a deleted parent with PARENT_DELETED", async () => {
    const live = await engine.create("Project", ctx, { slug: slug(), name: "Live" });
    const dead = await engine.create("Project", ctx, { slug: slug(), name: "Dead" });
    await engine.softDelete("Project", ctx, dead.id);
    const task = await engine.create("Task", ctx, { projectId: live.id, title: "mover" });

    const err = await engineError(engine.update("Task", ctx, task.id, { projectId: dead.id }));
    expect(err.code).toBe("PARENT_DELETED");
    expect(err.details).toMatchObject({ relation: "Project.tasks", parentId: dead.id });
    expect((await engine.find("Task", ctx, task.id))?.projectId).toBe(live.id);
  });
});

describe("soft delete and restore", () => {
  it("soft delete sets deleted_at, deleted_by, the reason and the operation id, with one audit entry", async () => {
    const project = await engine.create("Project", ctx, { slug: slug(), name: "Target" });
    const deleter: OperationContext = { ...ctx, actor: "carol@example.test", requestId: "req-delete" };

    const result = await engine.softDelete("Project", deleter, project.id, { reason: "  duplicate  " });
    expect(result.operationId).toMatch(UUID);
    expect(result.cascaded).toEqual([]);
    expect(result.dryRun).toBe(false);
    expect(result.row).toMatchObject({
      id: project.id,
      deletedBy: "carol@example.test",
      deletionReason: "duplicate",
      deletionOperationId: result.operationId,
      isDeleted: true,
    });
    expect(result.row.deletedAt).toBeInstanceOf(Date);

    const stored = await engine.find("Project", ctx, project.id, "DELETED");
    expect(stored).toMatchObject({
      deletedBy: "carol@example.test",
      deletionReason: "duplicate",
      deletionOperationId: result.operationId,
    });
    expect(stored?.deletedAt).toBeInstanceOf(Date);
    expect(await engine.find("Project", ctx, project.id)).toBeUndefined();

    const audit = await auditOfRow(project.id);
    expect(audit.map((a) => a.action)).toEqual(["CREATE", "SOFT_DELETE"]);
    expect(audit[1]).toMatchObject({
      entity_type: "Project",
      organization_id: ctx.organizationId,
      request_id: "req-delete",
      operation_id: result.operationId,
      reason: "duplicate",
      actor_subject: "carol@example.test",
      changed_fields: DELETION_FIELDS,
    });
  });

  it("refuses to soft-delete a deleted row with ALREADY_DELETED, changing nothing", async () => {
    const user = await engine.create("User", ctx, { email: email(), name: "Eve" });
    await engine.softDelete("User", ctx, user.id, { reason: "first" });
    const before = await orgState(ctx.organizationId);

    const err = await engineError(engine.softDelete("User", ctx, user.id, { reason: "second" }));
    expect(err.code).toBe("ALREADY_DELETED");
    expect(err.details).toMatchObject({ type: "User", id: user.id });

    expect(await orgState(ctx.organizationId)).toEqual(before);
  });

  it("refuses to restore a live row with NOT_DELETED, changing nothing", async () => {
    const user = await engine.create("User", ctx, { email: email(), name: "Fay" });
    const before = await orgState(ctx.organizationId);

    const err = await engineError(engine.restore("User", ctx, user.id));
    expect(err.code).toBe("NOT_DELETED");
    expect(err.details).toMatchObject({ type: "User", id: user.id });

    expect(await orgState(ctx.organizationId)).toEqual(before);
  });

  it("restore clears the deletion columns with one RESTORE audit entry", async () => {
    const user = await engine.create("User", ctx, { email: email(), name: "Gil" });
    await engine.softDelete("User", ctx, user.id, { reason: "temporary" });

    const result = await engine.restore("User", ctx, user.id);
    expect(result.row).toMatchObject({
      deletedAt: null,
      deletedBy: null,
      deletionReason: null,
      deletionOperationId: null,
      isDeleted: false,
    });
    const audit = await auditOfRow(user.id);
    expect(audit.map((a) => a.action)).toEqual(["CREATE", "SOFT_DELETE", "RESTORE"]);
    expect(audit[2]).toMatchObject({ operation_id: result.operationId, changed_fields: DELETION_FIELDS });
  });

  it("with REQUIRE reason, a delete without a reason is BAD_USER_INPUT and changes nothing", async () => {
    const strict = makeEngine(db.db, { requireReason: true });
    const user = await strict.create("User", ctx, { email: email(), name: "Hal" });
    const before = await orgState(ctx.organizationId);

    for (const reason of [undefined, null, "", "   "]) {
      const err = await engineError(strict.softDelete("User", ctx, user.id, { reason }));
      expect(err.code, JSON.stringify(reason)).toBe("BAD_USER_INPUT");
      expect(err.details).toMatchObject({ field: "reason" });
    }
    expect(await orgState(ctx.organizationId)).toEqual(before);

    const done = await strict.softDelete("User", ctx, user.id, { reason: "asked to leave" });
    expect(done.row.deletionReason).toBe("asked to leave");
  });
});

describe("not found", () => {
  it("an unknown id, a malformed id and another organization's id are the same NOT_FOUND", async () => {
    const other = await newTenant(db.db, "mallory@example.test");
    const foreign = await engine.create("User", other, { email: email(), name: "Foreign" });
    const foreignDeleted = await engine.create("User", other, { email: email(), name: "Foreign, deleted" });
    await engine.softDelete("User", other, foreignDeleted.id);
    const otherBefore = await orgState(other.organizationId);

    const ids = {
      unknown: "00000000-0000-4000-8000-000000000000",
      malformed: "not-a-uuid",
      foreign: foreign.id,
      foreignDeleted: foreignDeleted.id,
    };
    const operations = {
      update: (id: string) => engine.update("User", ctx, id, { name: "x" }),
      softDelete: (id: string) => engine.softDelete("User", ctx, id),
      restore: (id: string) => engine.restore("User", ctx, id),
      hardDelete: (id: string) => engine.hardDelete("User", ctx, id),
    };
    for (const [opName, op] of Object.entries(operations)) {
      const seen: unknown[] = [];
      for (const [kind, id] of Object.entries(ids)) {
        const err = await engineError(op(id));
        expect(err.code, `${opName} ${kind}`).toBe("NOT_FOUND");
        expect(err.details, `${opName} ${kind}`).toEqual({ type: "User", id });
        // Identical but for the id the caller sent: nothing tells another tenant's row from no row.
        seen.push({
          name: err.name,
          message: err.message.replace(id, "<id>"),
          details: { ...err.details, id: "<id>" },
        });
      }
      expect(new Set(seen.map((s) => JSON.stringify(s))).size, opName).toBe(1);
    }
    for (const id of Object.values(ids)) {
      for (const visibility of ["LIVE", "DELETED", "ALL"] as const)
        expect(await engine.find("User", ctx, id, visibility)).toBeUndefined();
    }
    expect(await engine.findMany("User", ctx, Object.values(ids), "ALL")).toEqual([]);

    expect(await orgState(other.organizationId)).toEqual(otherBefore);
  });

  it("a parent id of another organization is NOT_FOUND on create, like an unknown one", async () => {
    const other = await newTenant(db.db);
    const foreignProject = await engine.create("Project", other, { slug: slug(), name: "Theirs" });
    const before = await orgState(ctx.organizationId);

    for (const projectId of [foreignProject.id, "00000000-0000-4000-8000-000000000001"]) {
      const err = await engineError(engine.create("Task", ctx, { projectId, title: "sneaky" }));
      expect(err.code).toBe("NOT_FOUND");
      expect(err.details).toEqual({ type: "Project", id: projectId });
    }
    expect(await orgState(ctx.organizationId)).toEqual(before);
  });
});

describe("RESTRICT", () => {
  const allRestrict = Object.fromEntries(RELATIONS.map((r) => [r.name, "RESTRICT" as DeletionPolicy]));

  it("refuses to delete a row with live children, naming the relation and the count, changing nothing", async () => {
    const restricted = makeEngine(db.db, {}, allRestrict);
    const project = await restricted.create("Project", ctx, { slug: slug(), name: "Busy" });
    await restricted.create("Task", ctx, { projectId: project.id, title: "one" });
    await restricted.create("Task", ctx, { projectId: project.id, title: "two" });
    const deadTask = await restricted.create("Task", ctx, { projectId: project.id, title: "gone" });
    await restricted.softDelete("Task", ctx, deadTask.id);
    const before = await orgState(ctx.organizationId);

    const err = await engineError(restricted.softDelete("Project", ctx, project.id));
    expect(err.code).toBe("RESTRICTED");
    // Only live children count: the deleted task does not.
    expect(err.details).toEqual({ relation: "Project.tasks", type: "Task", count: 2 });

    expect(await orgState(ctx.organizationId)).toEqual(before);
  });

  it("names the relation on a self-reference (a comment with live replies)", async () => {
    const restricted = makeEngine(db.db, {}, allRestrict);
    const { comment } = await seedTree(restricted, ctx);
    const err = await engineError(restricted.softDelete("Comment", ctx, comment.id));
    expect(err.code).toBe("RESTRICTED");
    expect(err.details).toEqual({ relation: "Comment.replies", type: "Comment", count: 1 });
  });

  it("allows the delete once the children are deleted", async () => {
    const restricted = makeEngine(db.db, {}, allRestrict);
    const project = await restricted.create("Project", ctx, { slug: slug(), name: "Emptied" });
    const task = await restricted.create("Task", ctx, { projectId: project.id, title: "only" });
    await restricted.softDelete("Task", ctx, task.id);
    const result = await restricted.softDelete("Project", ctx, project.id);
    expect(result.row.deletedAt).toBeInstanceOf(Date);
    expect(result.cascaded).toEqual([]);
  });
});

describe("hard delete", () => {
  it("refuses a live row with NOT_DELETED, removing nothing", async () => {
    const user = await engine.create("User", ctx, { email: email(), name: "Ivy" });
    const before = await orgState(ctx.organizationId);

    const err = await engineError(engine.hardDelete("User", ctx, user.id));
    expect(err.code).toBe("NOT_DELETED");
    expect(err.details).toMatchObject({ type: "User", id: user.id });

    expect(await orgState(ctx.organizationId)).toEqual(before);
  });

  it("removes a deleted row and its deleted dependants, with one HARD_DELETE audit entry each", async () => {
    const tree = await seedTree(engine, ctx);
    // A second task deleted on its own, earlier: still a deleted dependant of the project.
    const early = await engine.create("Task", ctx, { projectId: tree.project.id, title: "deleted earlier" });
    await engine.softDelete("Task", ctx, early.id);
    await engine.softDelete("Project", ctx, tree.project.id);

    const result = await engine.hardDelete("Project", ctx, tree.project.id);
    expect(result.id).toBe(tree.project.id);
    expect(result.operationId).toMatch(UUID);
    expect(Object.fromEntries(result.deleted.map((d) => [d.type, d.count]))).toEqual({
      Project: 1,
      Task: 2,
      Comment: 2,
      TaskAssignment: 1,
    });

    const removed = {
      projects: [tree.project.id],
      tasks: [tree.task.id, early.id],
      comments: [tree.comment.id, tree.reply.id],
      task_assignments: [tree.assignment.id],
    };
    for (const [table, ids] of Object.entries(removed)) {
      const left = await rowsOf(
        db.db,
        sql`SELECT id FROM ${sql.identifier(table)} WHERE id = ANY(${`{${ids.join(",")}}`}::uuid[])`,
      );
      expect(left, table).toEqual([]);
    }
    // The project's lead is not its dependant.
    expect(await engine.find("User", ctx, tree.user.id)).toBeDefined();

    const audit = await auditOf(sql`a.operation_id = ${result.operationId}`);
    expect(audit).toHaveLength(6);
    expect(audit.every((a) => a.action === "HARD_DELETE" && a.organization_id === ctx.organizationId)).toBe(true);
    expect(audit.map((a) => `${a.entity_type}:${a.entity_id}`).sort()).toEqual(
      [
        `Project:${tree.project.id}`,
        `Task:${tree.task.id}`,
        `Task:${early.id}`,
        `Comment:${tree.comment.id}`,
        `Comment:${tree.reply.id}`,
        `TaskAssignment:${tree.assignment.id}`,
      ].sort(),
    );
    // The earlier history of the removed rows stays: the trail is append-only.
    expect((await auditOfRow(tree.project.id)).map((a) => a.action)).toEqual(["CREATE", "SOFT_DELETE", "HARD_DELETE"]);
  });
});

describe("atomicity and the audit trail", () => {
  it("a cascade that fails part-way leaves no change and no audit entry", async () => {
    // Project → Task cascades, but Task → Comment is RESTRICT: the project and task updates happen first,
    // then the comment check fails, and all of it must roll back.
    const partial = makeEngine(db.db, {}, { "Task.comments": "RESTRICT" });
    const tree = await seedTree(partial, ctx);
    const before = await orgState(ctx.organizationId);
    const count = await auditCount(ctx.organizationId);

    const err = await engineError(partial.softDelete("Project", ctx, tree.project.id, { reason: "try" }));
    expect(err.code).toBe("RESTRICTED");
    // The comment and its reply both sit on the task.
    expect(err.details).toEqual({ relation: "Task.comments", type: "Comment", count: 2 });

    expect(await auditCount(ctx.organizationId)).toBe(count);
    expect(await orgState(ctx.organizationId)).toEqual(before);
  });

  it("a create refused by the database (CONFLICT) leaves no row and no audit entry", async () => {
    const address = email();
    await engine.create("User", ctx, { email: address, name: "Jo" });
    const before = await orgState(ctx.organizationId);

    const err = await engineError(engine.create("User", ctx, { email: address, name: "Jo again" }));
    expect(err.code).toBe("CONFLICT");

    expect(await orgState(ctx.organizationId)).toEqual(before);
  });

  it("a required field set to null is BAD_USER_INPUT naming the field, with no change and no audit entry", async () => {
    const project = await engine.create("Project", ctx, { slug: slug(), name: "Needs a title" });
    const task = await engine.create("Task", ctx, { projectId: project.id, title: "kept" });
    const before = await orgState(ctx.organizationId);

    const onUpdate = await engineError(engine.update("Task", ctx, task.id, { title: null }));
    expect(onUpdate.code).toBe("BAD_USER_INPUT");
    expect(onUpdate.details).toMatchObject({ field: "title" });

    const onCreate = await engineError(engine.create("Task", ctx, { title: "no project" }));
    expect(onCreate.code).toBe("BAD_USER_INPUT");
    expect(onCreate.details).toMatchObject({ field: "projectId" });

    expect(await orgState(ctx.organizationId)).toEqual(before);
  });

  it("audit_log refuses UPDATE and DELETE, whoever asks", async () => {
    const user = await engine.create("User", ctx, { email: email(), name: "Kit" });
    const [entry] = await rowsOf<{ id: number }>(db.db, sql`SELECT id FROM audit_log WHERE entity_id = ${user.id}`);
    const before = await rowsOf(db.db, sql`SELECT * FROM audit_log WHERE id = ${entry!.id}`);

    for (const statement of [
      sql`UPDATE audit_log SET reason = 'rewritten' WHERE id = ${entry!.id}`,
      sql`DELETE FROM audit_log WHERE id = ${entry!.id}`,
    ]) {
      const err = await db.db.execute(statement).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeDefined();
      // 42501 insufficient_privilege, raised by the append-only trigger.
      expect(pgError(err)?.code).toBe("42501");
    }
    expect(await rowsOf(db.db, sql`SELECT * FROM audit_log WHERE id = ${entry!.id}`)).toEqual(before);
  });
});
