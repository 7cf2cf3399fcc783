/**
 * examples/subscribe.ts end to end: a bulk soft delete of a task's comments, followed to its end over WebSocket
 * and over Server-Sent Events, with the same typed events.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { deleteCommentsAndFollow, type Transport } from "../../examples/subscribe.js";
import { startTestApi, type TestApi } from "../support/api.js";
import { must } from "../support/graph.js";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

async function taskWithComments(n: number): Promise<string> {
  const p = await must(api, `mutation($s: String!) { createProject(input: { slug: $s, name: "sub" }) { id } }`, {
    s: `sub-${Math.random().toString(36).slice(2, 10)}`,
  });
  const t = await must(api, `mutation($p: ID!) { createTask(input: { projectId: $p, title: "t" }) { id } }`, {
    p: p.createProject.id,
  });
  for (let i = 0; i < n; i++)
    await must(api, `mutation($t: ID!) { createComment(input: { taskId: $t, body: "c" }) { id } }`, {
      t: t.createTask.id,
    });
  return t.createTask.id;
}

test.each(["ws", "sse"] as Transport[])("over %s: progress events until SUCCEEDED", async (transport) => {
  const taskId = await taskWithComments(3);
  const seen: string[] = [];
  const events = await deleteCommentsAndFollow(taskId, {
    url: api.url,
    token: (await api.auth()).slice("Bearer ".length),
    transport,
    onEvent: (e) => void seen.push(e.status),
  });
  expect(events.at(-1)).toMatchObject({ status: "SUCCEEDED", processed: 3, total: 3, failed: 0 });
  expect(seen).toEqual(events.map((e) => e.status));
  const left = await must(api, `query($t: ID!) { task(id: $t) { comments { totalCount } } }`, { t: taskId });
  expect(left.task.comments.totalCount).toBe(0);
});
