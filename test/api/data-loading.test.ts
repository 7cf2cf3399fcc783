/**
 * SQL round trips per read. Through the read compiler (the default) a root read field is ONE statement whatever
 * its depth and row counts; through the resolvers (READ_COMPILER=off, or anything the compiler leaves to them)
 * relations are batched per level: one statement per level, whatever the number of rows.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import type { App } from "../../src/server/app.js";
import { startResolversApp, startTestApi, type TestApi } from "../support/api.js";
import { must } from "../support/graph.js";

let api: TestApi;
let resolvers: App;
beforeAll(async () => {
  // No bulk runner: its polling would add statements to the count.
  api = await startTestApi({ runner: false });
  resolvers = await startResolversApp(api);
  // Warm up: a token's first request looks its organization up (then cached), on each server.
  await must(api, `{ viewer { role } }`);
  await resolvers.execute({ query: `{ viewer { role } }` }, await api.auth());
});
afterAll(async () => {
  await resolvers.close();
  await api.close();
});

const NESTED = `{ projects(first: 50) { edges { node { tasks { edges { node {
  comments { edges { node { author { id } } } } } } } } } } }`;

async function statementsFor(query: string, variables?: Record<string, unknown>) {
  api.db.statements.length = 0;
  const data = await must(api, query, variables);
  return { count: api.db.statements.length, statements: [...api.db.statements], data };
}

async function resolverStatementsFor(query: string) {
  api.db.statements.length = 0;
  const result = await resolvers.execute({ query }, await api.auth());
  expect(result.errors).toBeUndefined();
  return { count: api.db.statements.length, data: result.data };
}

function countRows(data: any) {
  let tasks = 0;
  let comments = 0;
  for (const p of data.projects.edges)
    for (const t of p.node.tasks.edges) {
      tasks++;
      comments += t.node.comments.edges.length;
    }
  return { projects: data.projects.edges.length, tasks, comments };
}

test("the nested projects → tasks → comments → author query: one statement compiled, one per level through the resolvers, whatever the row counts", async () => {
  const before = await statementsFor(NESTED);
  const beforeResolvers = await resolverStatementsFor(NESTED);
  // Grow every level: more projects, tasks and comments.
  const user = await must(api, `mutation { createUser(input: { email: "loader@demo.test", name: "Loader" }) { id } }`);
  for (let p = 0; p < 3; p++) {
    const project = await must(
      api,
      `mutation($s: String!) { createProject(input: { slug: $s, name: "grow" }) { id } }`,
      { s: `grow-${p}` },
    );
    for (let t = 0; t < 4; t++) {
      const task = await must(api, `mutation($p: ID!) { createTask(input: { projectId: $p, title: "grow" }) { id } }`, {
        p: project.createProject.id,
      });
      for (let c = 0; c < 3; c++)
        await must(
          api,
          `mutation($t: ID!, $a: ID!) { createComment(input: { taskId: $t, body: "grow", authorId: $a }) { id } }`,
          {
            t: task.createTask.id,
            a: user.createUser.id,
          },
        );
    }
  }
  const after = await statementsFor(NESTED);
  const afterResolvers = await resolverStatementsFor(NESTED);
  const small = countRows(before.data);
  const large = countRows(after.data);
  expect(large.projects).toBeGreaterThan(small.projects);
  expect(large.tasks).toBeGreaterThan(small.tasks);
  expect(large.comments).toBeGreaterThan(small.comments);
  expect(after.data).toEqual(afterResolvers.data);
  expect(before.count).toBe(1);
  expect(after.count).toBe(1);
  // projects, tasks (all projects at once), comments (all tasks at once), authors (all comments at once).
  expect(beforeResolvers.count).toBe(4);
  expect(afterResolvers.count).toBe(4);
});

test("many-to-many and to-one relations: one statement compiled, batched per level through the resolvers", async () => {
  const q = `{ tasks(first: 50) { edges { node { project { id } assignees { edges { node { id assignedTasks { totalCount } } } } } } } }`;
  expect((await statementsFor(q)).count).toBe(1);
  // tasks, their projects, their assignees, the assignees' task pages and (for totalCount) their counts.
  expect((await resolverStatementsFor(q)).count).toBe(5);
});

test("every compiled root read field is one statement; an operation costs one per root field", async () => {
  const ids = await must(
    api,
    `{ users(first: 1) { edges { node { id } } } projects(first: 1) { edges { node { id } } }
       tasks(first: 1) { edges { node { id comments(first: 1) { edges { node { id } } } } } } }`,
  );
  const user = ids.users.edges[0].node.id;
  const project = ids.projects.edges[0].node.id;
  const task = ids.tasks.edges[0].node.id;
  const comment = ids.tasks.edges[0].node.comments.edges[0].node.id;
  const deep = `id ... on SoftDeletable { isDeleted }`;
  const roots: [string, Record<string, unknown>][] = [
    [`{ users(first: 5) { totalCount edges { cursor node { ${deep} comments { totalCount } } } } }`, {}],
    [
      `{ projects { pageInfo { hasNextPage endCursor } edges { node { ${deep} lead { name } tasks { totalCount } } } } }`,
      {},
    ],
    [
      `query($p: ID) { tasks(projectId: $p, first: 3) { edges { node { ${deep} assignees { edges { node { name } } } } } } }`,
      { p: project },
    ],
    [`query($id: ID!) { user(id: $id) { ${deep} assignedTasks { totalCount } } }`, { id: user }],
    [
      `query($id: ID!) { project(id: $id, includeDeleted: true) { ${deep} tasks(first: 2) { edges { node { title } } } } }`,
      { id: project },
    ],
    [
      `query($id: ID!) { task(id: $id) { ${deep} project { name } comments { edges { node { replies { totalCount } } } } } }`,
      { id: task },
    ],
    [`query($id: ID!) { comment(id: $id) { ${deep} author { name } parent { id } task { title } } }`, { id: comment }],
    [
      `query($id: ID!) { node(id: $id) { id ... on Task { title assignments { edges { node { user { name } } } } } } }`,
      { id: task },
    ],
  ];
  for (const [query, variables] of roots) expect((await statementsFor(query, variables)).count, query).toBe(1);
  const three = await statementsFor(
    `query($id: ID!) { a: user(id: $id) { id } b: users { totalCount } c: projects { totalCount } __typename }`,
    { id: user },
  );
  expect(three.count).toBe(3);
});
