/**
 * Relations are batched per level: the nested query costs the same number of SQL statements whatever the
 * number of rows, and that number is small (one per level).
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestApi, type TestApi } from "../support/api.js";
import { must } from "../support/graph.js";

let api: TestApi;
beforeAll(async () => {
  // No bulk runner: its polling would add statements to the count.
  api = await startTestApi({ runner: false });
  // Warm up: a token's first request looks its organization up (then cached).
  await must(api, `{ viewer { role } }`);
});
afterAll(() => api.close());

const NESTED = `{ projects(first: 50) { edges { node { tasks { edges { node {
  comments { edges { node { author { id } } } } } } } } } } }`;

async function statementsFor(query: string) {
  api.db.statements.length = 0;
  const data = await must(api, query);
  return { count: api.db.statements.length, statements: [...api.db.statements], data };
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

test("the nested projects → tasks → comments → author query runs one statement per level, whatever the row counts", async () => {
  const before = await statementsFor(NESTED);
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
  const small = countRows(before.data);
  const large = countRows(after.data);
  expect(large.projects).toBeGreaterThan(small.projects);
  expect(large.tasks).toBeGreaterThan(small.tasks);
  expect(large.comments).toBeGreaterThan(small.comments);
  expect(after.count).toBe(before.count);
  // projects, tasks (all projects at once), comments (all tasks at once), authors (all comments at once).
  expect(after.count).toBe(4);
});

test("many-to-many and to-one relations are batched too", async () => {
  const q = `{ tasks(first: 50) { edges { node { project { id } assignees { edges { node { id assignedTasks { totalCount } } } } } } } }`;
  const { count } = await statementsFor(q);
  // tasks, their projects, their assignees, the assignees' task pages and (for totalCount) their counts.
  expect(count).toBe(5);
});
