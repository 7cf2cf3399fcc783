import { randomUUID } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import { createRegistry } from "../../src/domain/model.js";
import type { Database } from "../../src/db/database.js";
import type { OperationContext } from "../../src/engine/context.js";
import { SoftDeleteEngine, type EngineOptions, type TypeCount } from "../../src/engine/engine.js";
import type { DeletionPolicy, RelationDeclaration } from "../../src/engine/registry.js";
import { createOrganization, openTestDatabase, type TestDatabase } from "./db.js";

export function makeEngine(db: Database, options: EngineOptions = {}, policies: Record<string, DeletionPolicy> = {}) {
  const registry = createRegistry().withPolicies((r: RelationDeclaration) => policies[r.name] ?? r.policy);
  return new SoftDeleteEngine(db, registry, options);
}

interface EngineDatabase {
  db: TestDatabase;
  engine: SoftDeleteEngine;
}

/**
 * The enclosing file's (or suite's) database with an engine on it (`options.engine`) and, with `options.tenant`,
 * a fresh organization as `ctx`: opened in a `beforeAll`, closed in an `afterAll`. `use` receives them once open,
 * typically to set the file's own variables.
 * @example
 * let db: TestDatabase;
 * let engine: SoftDeleteEngine;
 * useEngineDatabase((opened) => ({ db, engine } = opened));
 */
export function useEngineDatabase(
  use: (opened: EngineDatabase & { ctx: OperationContext }) => void,
  options: { tenant: true; engine?: EngineOptions },
): void;
export function useEngineDatabase(
  use: (opened: EngineDatabase) => void,
  options?: { tenant?: false; engine?: EngineOptions },
): void;
export function useEngineDatabase(
  use: ((opened: EngineDatabase & { ctx: OperationContext }) => void) | ((opened: EngineDatabase) => void),
  options: { tenant?: boolean; engine?: EngineOptions } = {},
): void {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await openTestDatabase();
    const engine = makeEngine(db.db, options.engine);
    // The overloads pair `tenant: true` with a `use` that wants ctx.
    const receive = use as (opened: EngineDatabase & { ctx?: OperationContext }) => void;
    receive(options.tenant ? { db, engine, ctx: await newTenant(db.db) } : { db, engine });
  });
  afterAll(async () => {
    await db?.close();
  });
}

/** `cascaded` (or any list of type counts) as a plain object, so the order of types does not matter. */
export const byType = (list: TypeCount[]) => Object.fromEntries(list.map(({ type, count }) => [type, count]));

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
