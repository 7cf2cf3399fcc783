/** Builds a small, known graph through the API, for read-path tests. */
import { afterAll, beforeAll, expect } from "vitest";
import { startTestApi, type TestApi, type TestApiOptions } from "./api.js";
import { query } from "./db.js";

let seq = 0;

export async function must<T = any>(
  api: TestApi,
  query: string,
  variables?: Record<string, unknown>,
  auth?: string,
): Promise<T> {
  const r = await api.exec<T>(query, variables, auth);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data as T;
}

export function codeOf(result: { errors?: readonly { extensions?: Record<string, unknown> }[] }): unknown {
  return result.errors?.[0]?.extensions?.code;
}

/**
 * A project with: liveTask and deletedTask (deleted on its own); on liveTask a live comment by a deleted
 * author, a deleted comment, a live reply and a deleted reply; assignments to a live and a deleted user
 * (the latter's assignment is deleted by the user's cascade) and one deleted on its own.
 */
export async function buildGraph(api: TestApi) {
  const n = ++seq;
  const id = async (q: string, v: Record<string, unknown>) =>
    Object.values(await must<Record<string, { id: string }>>(api, q, v))[0]!.id;
  const createUser = `mutation($i: CreateUserInput!) { createUser(input: $i) { id } }`;
  const liveUser = await id(createUser, { i: { email: `live${n}@graph.test`, name: "Live User" } });
  const goneUser = await id(createUser, { i: { email: `gone${n}@graph.test`, name: "Gone User" } });
  const otherUser = await id(createUser, { i: { email: `other${n}@graph.test`, name: "Other User" } });
  const project = await id(`mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }`, {
    i: { slug: `graph-${n}`, name: "Graph", leadId: goneUser },
  });
  const createTask = `mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }`;
  const liveTask = await id(createTask, { i: { projectId: project, title: "live task" } });
  const deletedTask = await id(createTask, { i: { projectId: project, title: "deleted task" } });
  const createComment = `mutation($i: CreateCommentInput!) { createComment(input: $i) { id } }`;
  const liveComment = await id(createComment, { i: { taskId: liveTask, body: "live comment", authorId: goneUser } });
  const deletedComment = await id(createComment, {
    i: { taskId: liveTask, body: "deleted comment", authorId: liveUser },
  });
  const liveReply = await id(createComment, {
    i: { taskId: liveTask, body: "live reply", parentId: liveComment, authorId: liveUser },
  });
  const deletedReply = await id(createComment, {
    i: { taskId: liveTask, body: "deleted reply", parentId: liveComment, authorId: liveUser },
  });
  const assign = `mutation($t: ID!, $u: ID!) { assignTask(taskId: $t, userId: $u) { id } }`;
  const liveAssignment = await id(assign, { t: liveTask, u: liveUser });
  const goneAssignment = await id(assign, { t: liveTask, u: goneUser });
  const unassigned = await id(assign, { t: liveTask, u: otherUser });
  const del = `mutation($id: ID!) { softDelete(id: $id, reason: "test") { operationId } }`;
  for (const target of [deletedTask, deletedComment, deletedReply, goneUser, unassigned])
    await must(api, del, { id: target });
  return {
    liveUser,
    goneUser,
    otherUser,
    project,
    liveTask,
    deletedTask,
    liveComment,
    deletedComment,
    liveReply,
    deletedReply,
    liveAssignment,
    goneAssignment,
    unassigned,
  };
}

/**
 * A new project (its slug starts with `prefix`) created through the API, with `n` tasks inserted in one
 * statement; returns the project's global id.
 */
export async function projectWithTasks(api: TestApi, n: number, prefix = "p"): Promise<string> {
  const slug = `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
  const p = await must(api, `mutation($s: String!) { createProject(input: { slug: $s, name: "p" }) { id } }`, {
    s: slug,
  });
  await query(
    api.db.db,
    `INSERT INTO tasks (organization_id, project_id, title, created_by)
     SELECT organization_id, id, 'task ' || g, 'seed' FROM projects, generate_series(1, ${n}) g WHERE slug = '${slug}'`,
  );
  return p.createProject.id as string;
}

export type Graph = Awaited<ReturnType<typeof buildGraph>>;

/**
 * The enclosing file's API (`startTestApi(options)`) with a `buildGraph` graph on it: started in a `beforeAll`,
 * closed in an `afterAll`. `use` receives both once built, typically to set the file's own variables.
 * @example
 * let api: TestApi;
 * let g: Graph;
 * useGraphApi((opened) => ({ api, g } = opened));
 */
export function useGraphApi(use: (opened: { api: TestApi; g: Graph }) => void, options: TestApiOptions = {}): void {
  let api: TestApi | undefined;
  beforeAll(async () => {
    api = await startTestApi(options);
    use({ api, g: await buildGraph(api) });
  });
  afterAll(() => api?.close());
}
