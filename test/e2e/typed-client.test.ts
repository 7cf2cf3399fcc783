/**
 * examples/client.ts end to end: its functions over HTTP against a real server with the seeded demo
 * organization. Soft delete hides the task from `tasks`, the trash (`onlyDeleted`) shows it, `restore` brings
 * it back with exactly what the delete took, and the audit log has one entry per row under each operation id.
 *
 * The result types are those generated from the operations (examples/gql/); the type assertions at the end are
 * checked by `tsc` (npm run typecheck), not at run time.
 */
import type { ResultOf, VariablesOf } from "@graphql-typed-document-node/core";
import { afterAll, beforeAll, describe, expect, expectTypeOf, test } from "vitest";
import {
  auditEntries,
  createClient,
  GraphQLRequestError,
  listProjects,
  listTrash,
  restoreTask,
  RestoreTaskDocument,
  softDeleteTask,
  type SoftDeleteTaskDocument,
  type TaskTrashDocument,
  walkthrough,
  type AuditEntry,
  type Client,
  type ProjectList,
  type Trash,
} from "../../examples/client.js";
import { graphql } from "../../examples/gql/index.js";
import type { AuditAction, SoftDeleteTaskMutation, TaskTrashQueryVariables } from "../../examples/gql/graphql.js";
import { startTestApi, type TestApi } from "../support/api.js";

/** The rows a task's deletion takes with it, read live before it (and again after the restore). */
const TaskDependentsDocument = graphql(`
  query TaskDependents($id: ID!) {
    task(id: $id, includeDeleted: true) {
      id
      isDeleted
      comments(first: 100, includeDeleted: true) {
        edges {
          node {
            id
            isDeleted
          }
        }
      }
      assignments(first: 100, includeDeleted: true) {
        edges {
          node {
            id
            isDeleted
          }
        }
      }
    }
  }
`);

const ADMIN = "admin@demo.test";
let api: TestApi;
let client: Client;

const bare = (authorization: string) => authorization.replace(/^Bearer /, "");

beforeAll(async () => {
  api = await startTestApi();
  client = createClient({ url: api.url, token: bare(await api.auth("ADMIN", "demo", ADMIN)) });
});
afterAll(async () => {
  await api?.close();
});

const project = (list: ProjectList, slug: string) => {
  const found = list.edges.find((e) => e.node.slug === slug)?.node;
  if (!found) throw new Error(`project ${slug} is not listed`);
  return found;
};
const taskIds = (list: ProjectList, slug: string) => project(list, slug).tasks.edges.map((e) => e.node.id);
const taskByTitle = (list: ProjectList, slug: string, title: string) => {
  const found = project(list, slug).tasks.edges.find((e) => e.node.title === title)?.node;
  if (!found) throw new Error(`task "${title}" is not listed under ${slug}`);
  return found;
};
const trashIds = (trash: Trash) => trash.edges.map((e) => e.node.id).sort();

async function dependents(id: string) {
  const { task } = await client.request(TaskDependentsDocument, { id });
  if (!task) throw new Error(`task ${id} not found`);
  const rows = (conn: { edges: { node: { id: string; isDeleted: boolean } }[] }) =>
    conn.edges.map((e) => e.node).sort((a, b) => a.id.localeCompare(b.id));
  return { isDeleted: task.isDeleted, comments: rows(task.comments), assignments: rows(task.assignments) };
}

/** The audit entries' (action, entity) pairs, sorted: compared as a set against the rows expected. */
const entities = (entries: AuditEntry[]) => entries.map((e) => `${e.action} ${e.entityType} ${e.entityId}`).sort();

describe("the typed client against the demo organization", () => {
  test("listProjects returns the live projects with their live tasks", async () => {
    const list = await listProjects(client);
    // The demo's `legacy` project is in the trash; `billing` has no description but is live.
    expect(list.edges.map((e) => e.node.slug).sort()).toEqual(["billing", "mobile", "website"]);
    expect(list.totalCount).toBe(3);
    const website = project(list, "website");
    // Ten seeded tasks, one of them ("Write the pricing page copy") deleted by the seed.
    expect(website.tasks.totalCount).toBe(9);
    expect(website.tasks.edges.map((e) => e.node.title)).not.toContain("Write the pricing page copy");
  });

  test("softDelete hides the task, the trash shows it, restore brings it back, the audit log has every row", async () => {
    const reason = "Superseded by the new sitemap";
    const before = await listProjects(client);
    const websiteId = project(before, "website").id;
    const task = taskByTitle(before, "website", "Draft the information architecture");
    const trashBefore = await listTrash(client, websiteId);
    expect(trashIds(trashBefore)).not.toContain(task.id);
    const deps = await dependents(task.id);
    // The seed gives this task a comment, a reply to it, a second comment, and two assignees, all live.
    expect(deps.comments.map((c) => c.isDeleted)).toEqual([false, false, false]);
    expect(deps.assignments.map((a) => a.isDeleted)).toEqual([false, false]);

    const deleted = await softDeleteTask(client, task.id, reason);
    expect(deleted.dryRun).toBe(false);
    expect(deleted.node).toMatchObject({ id: task.id, isDeleted: true, deletedBy: ADMIN, deletionReason: reason });
    expect(deleted.node.deletedAt).not.toBeNull();
    expect([...deleted.cascaded].sort((a, b) => a.type.localeCompare(b.type))).toEqual([
      { type: "Comment", count: 3 },
      { type: "TaskAssignment", count: 2 },
    ]);

    // Gone from the project's `tasks`, and from its count.
    const afterDelete = await listProjects(client);
    expect(taskIds(afterDelete, "website")).not.toContain(task.id);
    expect(project(afterDelete, "website").tasks.totalCount).toBe(project(before, "website").tasks.totalCount - 1);

    // In the trash (onlyDeleted), of the project and of the whole organization, with who and why.
    const trash = await listTrash(client, websiteId);
    expect(trashIds(trash)).toEqual([...trashIds(trashBefore), task.id].sort());
    expect(trash.totalCount).toBe(trashBefore.totalCount + 1);
    expect(trash.edges.find((e) => e.node.id === task.id)?.node).toMatchObject({
      title: task.title,
      deletedBy: ADMIN,
      deletionReason: reason,
    });
    expect(trashIds(await listTrash(client))).toContain(task.id);
    const deletedDeps = await dependents(task.id);
    expect(deletedDeps.isDeleted).toBe(true);
    expect([...deletedDeps.comments, ...deletedDeps.assignments].every((r) => r.isDeleted)).toBe(true);

    const restored = await restoreTask(client, task.id);
    expect(restored.node).toMatchObject({ id: task.id, isDeleted: false, deletedAt: null });
    expect(restored.operationId).not.toBe(deleted.operationId);
    expect([...restored.cascaded].sort((a, b) => a.type.localeCompare(b.type))).toEqual([
      { type: "Comment", count: 3 },
      { type: "TaskAssignment", count: 2 },
    ]);

    // Back in the list, out of the trash, with its comments and assignments live again.
    const afterRestore = await listProjects(client);
    expect(taskIds(afterRestore, "website")).toEqual(taskIds(before, "website"));
    expect(project(afterRestore, "website").tasks.totalCount).toBe(project(before, "website").tasks.totalCount);
    expect(trashIds(await listTrash(client, websiteId))).toEqual(trashIds(trashBefore));
    expect(await dependents(task.id)).toEqual(deps);

    // One audit entry per row each operation changed, all under that operation's id, by the caller.
    const rows = [
      `Task ${task.id}`,
      ...deps.comments.map((c) => `Comment ${c.id}`),
      ...deps.assignments.map((a) => `TaskAssignment ${a.id}`),
    ];
    const deleteAudit = await auditEntries(client, deleted.operationId);
    expect(entities(deleteAudit)).toEqual(rows.map((r) => `SOFT_DELETE ${r}`).sort());
    expect(deleteAudit.every((e) => e.operationId === deleted.operationId && e.actor === ADMIN)).toBe(true);
    expect(deleteAudit.find((e) => e.entityId === task.id)?.reason).toBe(reason);
    const restoreAudit = await auditEntries(client, restored.operationId);
    expect(entities(restoreAudit)).toEqual(rows.map((r) => `RESTORE ${r}`).sort());
    expect(restoreAudit.every((e) => e.operationId === restored.operationId && e.actor === ADMIN)).toBe(true);
  });

  test("walkthrough: restore leaves deleted what was deleted before, and prints the audit entries", async () => {
    // The seed put one of this task's three comments in the trash on its own ("Posted on the wrong task").
    const task = taskByTitle(await listProjects(client), "mobile", "Offline sync design");
    const deps = await dependents(task.id);
    const earlier = deps.comments.filter((c) => c.isDeleted).map((c) => c.id);
    expect(earlier).toHaveLength(1);
    const live = deps.comments.filter((c) => !c.isDeleted).map((c) => c.id);
    expect(live).toHaveLength(2);

    const lines: string[] = [];
    const result = await walkthrough(client, {
      taskId: task.id,
      reason: "Moved to the backlog",
      log: (l) => lines.push(l),
    });
    expect(result.task).toEqual({ id: task.id, title: "Offline sync design" });
    expect(result.tasksAfterDelete).not.toContain(task.id);
    expect(trashIds(result.trash)).toContain(task.id);
    expect(result.tasksAfterRestore).toContain(task.id);

    // The delete took the two live comments and the assignment, not the comment already in the trash.
    const deletedComments = result.deleteAudit.filter((e) => e.entityType === "Comment").map((e) => e.entityId);
    expect(deletedComments.sort()).toEqual([...live].sort());
    const restoredComments = result.restoreAudit.filter((e) => e.entityType === "Comment").map((e) => e.entityId);
    expect(restoredComments.sort()).toEqual([...live].sort());
    expect(await dependents(task.id)).toEqual(deps);

    const printed = lines.join("\n");
    expect(printed).toContain(`operation ${result.deleted.operationId}`);
    expect(printed).toContain(`operation ${result.restored.operationId}`);
    for (const e of [...result.deleteAudit, ...result.restoreAudit])
      expect(printed).toContain(`${e.action} ${e.entityType} ${e.entityId} by ${ADMIN}`);
  });

  test("errors come back as GraphQLRequestError with the server's code", async () => {
    const viewer = createClient({ url: api.url, token: bare(await api.auth("VIEWER", "demo", "ada@demo.test")) });
    const task = project(await listProjects(viewer), "billing").tasks.edges[0]?.node;
    expect(task).toBeDefined();
    const err = await softDeleteTask(viewer, task!.id, "not allowed").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphQLRequestError);
    expect((err as GraphQLRequestError).errors.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
    // Nothing was deleted.
    expect(taskIds(await listProjects(client), "billing")).toContain(task!.id);

    const anonymous = createClient({ url: api.url, token: "not-a-token" });
    const unauth = await listProjects(anonymous).catch((e: unknown) => e);
    expect(unauth).toBeInstanceOf(GraphQLRequestError);
    expect((unauth as GraphQLRequestError).status).toBe(401);
    expect((unauth as GraphQLRequestError).errors[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});

test("result and variables types are the generated ones (checked by tsc)", () => {
  expectTypeOf<ResultOf<typeof SoftDeleteTaskDocument>>().toEqualTypeOf<SoftDeleteTaskMutation>();
  expectTypeOf<VariablesOf<typeof TaskTrashDocument>>().toEqualTypeOf<TaskTrashQueryVariables>();
  expectTypeOf<AuditEntry["action"]>().toEqualTypeOf<AuditAction>();
  expectTypeOf<Trash["edges"][number]["node"]["deletedAt"]>().toEqualTypeOf<string | null>();
  expectTypeOf<ResultOf<typeof TaskDependentsDocument>["task"]>().toBeNullable();
  expectTypeOf(restoreTask).returns.resolves.toEqualTypeOf<ResultOf<typeof RestoreTaskDocument>["restore"]>();

  // A field the operation does not select is not on the result type.
  // @ts-expect-error `email` is not selected (and not a Task field)
  type _NotSelected = ProjectList["edges"][number]["node"]["tasks"]["edges"][number]["node"]["email"];
  // Variables are the operation's: a missing required one or an undeclared one does not compile.
  const _missing = () =>
    // @ts-expect-error `id` is required
    client.request(RestoreTaskDocument, {});
  const _undeclared = () =>
    // @ts-expect-error RestoreTask does not declare $withAncestors
    client.request(RestoreTaskDocument, { id: "x", withAncestors: true });
});
