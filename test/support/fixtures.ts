import { randomUUID } from "node:crypto";
import { createRegistry } from "../../src/domain/model.js";
import type { Database } from "../../src/db/database.js";
import type { OperationContext } from "../../src/engine/context.js";
import { SoftDeleteEngine, type EngineOptions } from "../../src/engine/engine.js";
import type { DeletionPolicy, RelationDeclaration } from "../../src/engine/registry.js";
import { createOrganization } from "./db.js";

export function makeEngine(db: Database, options: EngineOptions = {}, policies: Record<string, DeletionPolicy> = {}) {
  const registry = createRegistry().withPolicies((r: RelationDeclaration) => policies[r.name] ?? r.policy);
  return new SoftDeleteEngine(db, registry, options);
}

export async function newTenant(db: Database, actor = "alice@example.test"): Promise<OperationContext> {
  const org = await createOrganization(db);
  return { organizationId: org.id, actor, requestId: "test-request" };
}

export const uid = () => randomUUID().slice(0, 8);

let n = 0;
/** A small tree: user, project (led by the user), task, comment with a reply, assignment. */
export async function seedTree(engine: SoftDeleteEngine, ctx: OperationContext) {
  n++;
  const user = await engine.create("User", ctx, { email: `u${n}-${Date.now()}@example.test`, name: `User ${n}` });
  const project = await engine.create("Project", ctx, {
    slug: `p${n}-${Date.now()}`,
    name: `Project ${n}`,
    leadId: user.id,
  });
  const task = await engine.create("Task", ctx, { projectId: project.id, title: `Task ${n}` });
  const comment = await engine.create("Comment", ctx, { taskId: task.id, authorId: user.id, body: "first" });
  const reply = await engine.create("Comment", ctx, {
    taskId: task.id,
    authorId: user.id,
    parentId: comment.id,
    body: "reply",
  });
  const assignment = await engine.create("TaskAssignment", ctx, { taskId: task.id, userId: user.id });
  return { user, project, task, comment, reply, assignment };
}

/**
 * A project led by a new user, with `n` tasks; each task has a comment by the lead, a reply by a member and
 * an assignment of the member.
 */
export async function buildProject(engine: SoftDeleteEngine, ctx: OperationContext, n: number) {
  const lead = await engine.create("User", ctx, { email: `${uid()}@example.test`, name: "Lead" });
  const member = await engine.create("User", ctx, { email: `${uid()}@example.test`, name: "Member" });
  const project = await engine.create("Project", ctx, { slug: `p-${uid()}`, name: "Project", leadId: lead.id });
  const tasks = [];
  for (let i = 0; i < n; i++) {
    const task = await engine.create("Task", ctx, { projectId: project.id, title: `Task ${i}` });
    const comment = await engine.create("Comment", ctx, { taskId: task.id, authorId: lead.id, body: "comment" });
    const reply = await engine.create("Comment", ctx, {
      taskId: task.id,
      authorId: member.id,
      parentId: comment.id,
      body: "reply",
    });
    const assignment = await engine.create("TaskAssignment", ctx, { taskId: task.id, userId: member.id });
    tasks.push({ task, comment, reply, assignment });
  }
  return { lead, member, project, tasks };
}
