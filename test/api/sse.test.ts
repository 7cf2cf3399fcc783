/**
 * Subscriptions over HTTP with Server-Sent Events (graphql-sse, /graphql/stream): the same token, limits and
 * masking as over WebSocket, in both of graphql-sse's modes, with a real graphql-sse client.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestApi, type TestApi } from "../support/api.js";
import { must } from "../support/graph.js";
import { sseClient, sseResults, sseUrl } from "../support/sse.js";
import { wsClient } from "../support/ws.js";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ limits: { maxDepth: 6, maxCost: 5000 }, bulk: { batchSize: 2, pauseMs: 20 } });
});
afterAll(() => api.close());

const progress = `subscription($id: ID!) { bulkOperationProgress(id: $id) { status processed total } }`;

async function queueBulk(): Promise<string> {
  const p = await must(api, `mutation($s: String!) { createProject(input: { slug: $s, name: "sse" }) { id } }`, {
    s: `sse-${Math.random().toString(36).slice(2, 10)}`,
  });
  for (let i = 0; i < 5; i++)
    await must(api, `mutation($p: ID!) { createTask(input: { projectId: $p, title: "t" }) { id } }`, {
      p: p.createProject.id,
    });
  const queued = await must(api, `mutation($p: ID!) { bulkSoftDelete(filter: { type: Task, projectId: $p }) { id } }`, {
    p: p.createProject.id,
  });
  return queued.bulkSoftDelete.id;
}

describe.each([
  ["distinct connections", false],
  ["a single connection", true],
])("over %s", (_mode, single) => {
  test("a query and a bulk-progress subscription to its terminal state", async () => {
    const client = sseClient(api.url, await api.auth(), single);
    try {
      expect(await sseResults(client, `{ viewer { subject } }`)).toEqual([
        { data: { viewer: { subject: "admin@demo.test" } } },
      ]);
      const id = await queueBulk();
      const events = (await sseResults(client, progress, { id })).map((e) => e.data.bulkOperationProgress);
      expect(events.at(-1)).toEqual({ status: "SUCCEEDED", processed: 5, total: 5 });
      expect(events.every((e) => e.total === 5)).toBe(true);
    } finally {
      client.dispose();
    }
  });
});

test("the same events over SSE and over WebSocket", async () => {
  const id = await queueBulk();
  const sse = sseClient(api.url, await api.auth());
  const { client: ws } = wsClient(api.url, await api.auth());
  const overWs = new Promise<any[]>((resolve, reject) => {
    const events: any[] = [];
    ws.subscribe(
      { query: progress, variables: { id } },
      { next: (v) => void events.push(v), error: reject, complete: () => resolve(events) },
    );
  });
  const [a, b] = await Promise.all([sseResults(sse, progress, { id }), overWs]);
  sse.dispose();
  await ws.dispose();
  expect(a.at(-1)).toEqual(b.at(-1));
  expect(a.at(-1).data.bulkOperationProgress.status).toBe("SUCCEEDED");
});

test("no token, or a bad one, is a 401 UNAUTHENTICATED before any stream opens", async () => {
  for (const authorization of [undefined, "Bearer nope"]) {
    const res = await fetch(sseUrl(api.url), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        ...(authorization ? { authorization } : {}),
      },
      body: JSON.stringify({ query: "{ viewer { subject } }" }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).errors[0].extensions.code).toBe("UNAUTHENTICATED");
  }
});

test("roles, limits and masking are those of the other transports", async () => {
  const viewer = sseClient(api.url, await api.auth("VIEWER"));
  const [forbidden] = await sseResults(viewer, progress, { id: "00000000-0000-4000-8000-000000000000" });
  viewer.dispose();
  expect(forbidden.errors[0].extensions.code).toBe("FORBIDDEN");

  const client = sseClient(api.url, await api.auth());
  const deep = `{ projects { edges { node { tasks { edges { node { comments { edges { node { id } } } } } } } } } }`;
  const [tooDeep] = await sseResults(client, deep);
  expect(tooDeep.errors[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "query" });
  expect(tooDeep.errors[0].message).toMatch(/GRAPHQL_MAX_DEPTH/);

  const task = (await must(api, `{ tasks(first: 1) { edges { node { id } } } }`)).tasks.edges[0].node.id;
  const original = api.engine.findMany.bind(api.engine);
  api.engine.findMany = async () => {
    throw new Error('Failed query: SELECT * FROM "users" WHERE secret = $1 params: hunter2');
  };
  try {
    const [masked] = await sseResults(client, `query($id: ID!) { task(id: $id) { id } }`, { id: task });
    expect(masked.errors[0]).toMatchObject({
      message: "Unexpected error.",
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    });
    expect(JSON.stringify(masked)).not.toMatch(/SELECT|hunter2/);
  } finally {
    api.engine.findMany = original;
    client.dispose();
  }
});
