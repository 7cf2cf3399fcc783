/**
 * Every read path hides deleted rows by default and shows them with includeDeleted: lists and their counts,
 * the trash (onlyDeleted), single fetches, node, to-one, to-many and many-to-many relations.
 */
import { describe, expect, test } from "vitest";
import { type TestApi } from "../support/api.js";
import { type Graph, must, useGraphApi } from "../support/graph.js";

let api: TestApi;
let g: Graph;
useGraphApi((opened) => ({ api, g } = opened));

const ids = (conn: { edges: { node: { id: string } }[] }) => conn.edges.map((e) => e.node.id);

describe("lists and counts", () => {
  test("tasks(projectId) excludes a deleted task and its count; includeDeleted adds it; onlyDeleted is the trash", async () => {
    const q = `query($p: ID!, $inc: Boolean!, $only: Boolean!) {
      tasks(projectId: $p, includeDeleted: $inc, onlyDeleted: $only) { totalCount edges { node { id isDeleted } } } }`;
    const live = await must(api, q, { p: g.project, inc: false, only: false });
    expect(ids(live.tasks)).toEqual([g.liveTask]);
    expect(live.tasks.totalCount).toBe(1);
    const all = await must(api, q, { p: g.project, inc: true, only: false });
    expect(ids(all.tasks).sort()).toEqual([g.liveTask, g.deletedTask].sort());
    expect(all.tasks.totalCount).toBe(2);
    const trash = await must(api, q, { p: g.project, inc: false, only: true });
    expect(ids(trash.tasks)).toEqual([g.deletedTask]);
    expect(trash.tasks.totalCount).toBe(1);
    expect(trash.tasks.edges[0].node.isDeleted).toBe(true);
  });

  test("users list and totalCount leave out a deleted user", async () => {
    const q = `query($inc: Boolean!) { users(first: 100, includeDeleted: $inc) { totalCount edges { node { id } } } }`;
    const live = await must(api, q, { inc: false });
    const all = await must(api, q, { inc: true });
    expect(ids(live.users)).not.toContain(g.goneUser);
    expect(ids(all.users)).toContain(g.goneUser);
    expect(all.users.totalCount - live.users.totalCount).toBeGreaterThanOrEqual(1);
    expect(live.users.totalCount).toBe(ids(live.users).length);
  });

  test("projects list leaves out a deleted project until includeDeleted", async () => {
    const p = await must(api, `mutation { createProject(input: { slug: "to-trash", name: "Trash me" }) { id } }`);
    await must(api, `mutation($id: ID!) { softDelete(id: $id) { operationId } }`, { id: p.createProject.id });
    const q = `query($inc: Boolean!) { projects(first: 100, includeDeleted: $inc) { totalCount edges { node { id } } } }`;
    expect(ids((await must(api, q, { inc: false })).projects)).not.toContain(p.createProject.id);
    expect(ids((await must(api, q, { inc: true })).projects)).toContain(p.createProject.id);
  });

  test("pagination walks every live row exactly once", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let total = 0;
    for (;;) {
      const page: any = await must(
        api,
        `query($a: String) { users(first: 2, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }`,
        { a: after },
      );
      total = page.users.totalCount;
      seen.push(...ids(page.users));
      if (!page.users.pageInfo.hasNextPage) break;
      after = page.users.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(total);
    expect(seen).not.toContain(g.goneUser);
  });
});

describe("single fetches and node", () => {
  test.each([
    ["task", "deletedTask"],
    ["comment", "deletedComment"],
    ["user", "goneUser"],
  ] as const)("%s(id) of a deleted row is null unless includeDeleted", async (field, key) => {
    const q = `query($id: ID!, $inc: Boolean!) { ${field}(id: $id, includeDeleted: $inc) { id isDeleted deletedAt deletedBy deletionReason } }`;
    expect((await must(api, q, { id: g[key], inc: false }))[field]).toBeNull();
    const row = (await must(api, q, { id: g[key], inc: true }))[field];
    expect(row).toMatchObject({ id: g[key], isDeleted: true, deletionReason: "test" });
    expect(row.deletedAt).toBeTruthy();
  });

  test("project(id) of a deleted project is null unless includeDeleted", async () => {
    const p = await must(api, `mutation { createProject(input: { slug: "single-gone", name: "x" }) { id } }`);
    await must(api, `mutation($id: ID!) { softDelete(id: $id) { operationId } }`, { id: p.createProject.id });
    const q = `query($id: ID!, $inc: Boolean!) { project(id: $id, includeDeleted: $inc) { id } }`;
    expect((await must(api, q, { id: p.createProject.id, inc: false })).project).toBeNull();
    expect((await must(api, q, { id: p.createProject.id, inc: true })).project.id).toBe(p.createProject.id);
  });

  test("node(id) hides a deleted row by default, for every type", async () => {
    const q = `query($id: ID!, $inc: Boolean!) { node(id: $id, includeDeleted: $inc) { id __typename ... on SoftDeletable { isDeleted } } }`;
    for (const [key, type] of [
      ["deletedTask", "Task"],
      ["deletedComment", "Comment"],
      ["goneUser", "User"],
      ["unassigned", "TaskAssignment"],
    ] as const) {
      expect((await must(api, q, { id: g[key], inc: false })).node).toBeNull();
      expect((await must(api, q, { id: g[key], inc: true })).node).toEqual({
        id: g[key],
        __typename: type,
        isDeleted: true,
      });
    }
    expect((await must(api, q, { id: g.liveTask, inc: false })).node).toMatchObject({
      id: g.liveTask,
      __typename: "Task",
    });
  });
});

describe("relations", () => {
  test("to-many: Project.tasks, Task.comments, Comment.replies, Task.assignments hide deleted rows and counts", async () => {
    const q = `query($p: ID!, $inc: Boolean!) { project(id: $p) {
      tasks(includeDeleted: $inc) { totalCount edges { node { id
        comments(includeDeleted: $inc) { totalCount edges { node { id replies(includeDeleted: $inc) { totalCount edges { node { id } } } } } }
        assignments(includeDeleted: $inc) { totalCount edges { node { id } } } } } } } }`;
    const live = (await must(api, q, { p: g.project, inc: false })).project;
    expect(ids(live.tasks)).toEqual([g.liveTask]);
    const task = live.tasks.edges[0].node;
    expect(ids(task.comments).sort()).toEqual([g.liveComment, g.liveReply].sort());
    expect(task.comments.totalCount).toBe(2);
    const parent = task.comments.edges.find((e: any) => e.node.id === g.liveComment).node;
    expect(ids(parent.replies)).toEqual([g.liveReply]);
    expect(parent.replies.totalCount).toBe(1);
    expect(ids(task.assignments)).toEqual([g.liveAssignment]);
    expect(task.assignments.totalCount).toBe(1);

    const all = (await must(api, q, { p: g.project, inc: true })).project;
    expect(all.tasks.totalCount).toBe(2);
    const allTask = all.tasks.edges.find((e: any) => e.node.id === g.liveTask).node;
    expect(allTask.comments.totalCount).toBe(4);
    expect(allTask.assignments.totalCount).toBe(3);
    const allParent = allTask.comments.edges.find((e: any) => e.node.id === g.liveComment).node;
    expect(ids(allParent.replies).sort()).toEqual([g.liveReply, g.deletedReply].sort());
  });

  test("many-to-many: Task.assignees and User.assignedTasks go through live assignments to live rows", async () => {
    const q = `query($t: ID!, $u: ID!, $inc: Boolean!) {
      task(id: $t) { assignees(includeDeleted: $inc) { totalCount edges { node { id } } } }
      user(id: $u, includeDeleted: true) { assignedTasks(includeDeleted: $inc) { totalCount edges { node { id } } } } }`;
    const live = await must(api, q, { t: g.liveTask, u: g.goneUser, inc: false });
    expect(ids(live.task.assignees)).toEqual([g.liveUser]);
    expect(live.task.assignees.totalCount).toBe(1);
    expect(live.user.assignedTasks.totalCount).toBe(0);
    const all = await must(api, q, { t: g.liveTask, u: g.goneUser, inc: true });
    expect(ids(all.task.assignees).sort()).toEqual([g.liveUser, g.goneUser, g.otherUser].sort());
    expect(ids(all.user.assignedTasks)).toEqual([g.liveTask]);
  });

  test("to-one: Comment.author (NONE policy), Project.lead, Comment.parent, TaskAssignment.user resolve to null when deleted", async () => {
    const q = `query($c: ID!, $r: ID!, $p: ID!, $a: ID!, $inc: Boolean!) {
      c: comment(id: $c) { author(includeDeleted: $inc) { id } task { id } }
      r: comment(id: $r, includeDeleted: true) { parent(includeDeleted: $inc) { id } }
      p: project(id: $p) { lead(includeDeleted: $inc) { id } }
      a: node(id: $a, includeDeleted: true) { ... on TaskAssignment { user(includeDeleted: $inc) { id } task { id } } } }`;
    const vars = { c: g.liveComment, r: g.deletedReply, p: g.project, a: g.goneAssignment };
    const live = await must(api, q, { ...vars, inc: false });
    expect(live.c.author).toBeNull();
    expect(live.c.task.id).toBe(g.liveTask);
    expect(live.r.parent.id).toBe(g.liveComment);
    // The lead was detached when the user was deleted (DETACH policy), so it is null either way.
    expect(live.p.lead).toBeNull();
    expect(live.a.user).toBeNull();
    expect(live.a.task.id).toBe(g.liveTask);
    const all = await must(api, q, { ...vars, inc: true });
    expect(all.c.author.id).toBe(g.goneUser);
    expect(all.a.user.id).toBe(g.goneUser);
  });

  test("Task.project is null while the project is deleted, unless includeDeleted", async () => {
    const p = await must(api, `mutation { createProject(input: { slug: "parent-gone", name: "x" }) { id } }`);
    const t = await must(api, `mutation($p: ID!) { createTask(input: { projectId: $p, title: "child" }) { id } }`, {
      p: p.createProject.id,
    });
    await must(api, `mutation($id: ID!) { softDelete(id: $id) { operationId } }`, { id: p.createProject.id });
    const q = `query($t: ID!, $inc: Boolean!) { task(id: $t, includeDeleted: true) { isDeleted project(includeDeleted: $inc) { id } } }`;
    expect((await must(api, q, { t: t.createTask.id, inc: false })).task).toEqual({ isDeleted: true, project: null });
    expect((await must(api, q, { t: t.createTask.id, inc: true })).task.project.id).toBe(p.createProject.id);
  });

  test("User.comments lists authored comments, hiding deleted ones", async () => {
    const q = `query($u: ID!, $inc: Boolean!) { user(id: $u) { comments(includeDeleted: $inc) { totalCount edges { node { id } } } } }`;
    expect(ids((await must(api, q, { u: g.liveUser, inc: false })).user.comments).sort()).toEqual([g.liveReply].sort());
    expect((await must(api, q, { u: g.liveUser, inc: true })).user.comments.totalCount).toBe(3);
  });
});
