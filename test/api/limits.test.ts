/** Abusive operations are refused before they execute: depth, cost, batching, CSRF. */
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestApi, type TestApi } from "../support/api.js";
import { codeOf } from "../support/graph.js";

let api: TestApi;
beforeAll(async () => {
  // No bulk runner: its polling would add statements to the count.
  api = await startTestApi({ limits: { maxDepth: 8, maxCost: 2_000 }, runner: false });
  // Warm up: the first request of a token looks its organization up.
  await api.http(`{ viewer { role } }`);
});
afterAll(() => api.close());

test("a query deeper than GRAPHQL_MAX_DEPTH is BAD_USER_INPUT and runs no SQL", async () => {
  api.db.statements.length = 0;
  const deep = `{ projects(first: 1) { edges { node { tasks(first: 1) { edges { node { comments(first: 1) { edges { node { id } } } } } } } } } }`;
  const r = await api.http(deep);
  expect(r.status).toBe(400);
  expect(codeOf(r.body)).toBe("BAD_USER_INPUT");
  expect(api.db.statements.length).toBe(0);
});

test("depth counts through fragments", async () => {
  const q = `fragment T on Task { comments { edges { node { replies { edges { node { id } } } } } } }
    { tasks { edges { node { ...T } } } }`;
  expect(codeOf((await api.http(q)).body)).toBe("BAD_USER_INPUT");
});

test("a query whose estimated cost exceeds GRAPHQL_MAX_COST is BAD_USER_INPUT and runs no SQL", async () => {
  api.db.statements.length = 0;
  const costly = `{ projects(first: 100) { edges { node { tasks(first: 100) { edges { node { id } } } } } } }`;
  const r = await api.http(costly);
  expect(codeOf(r.body)).toBe("BAD_USER_INPUT");
  expect(r.body.errors![0]!.message).toMatch(/cost/);
  expect(api.db.statements.length).toBe(0);
  // The same shape with small pages is fine.
  expect(
    (await api.http(`{ projects(first: 5) { edges { node { tasks(first: 5) { edges { node { id } } } } } } }`)).body
      .errors,
  ).toBeUndefined();
});

test("batched HTTP requests are refused while GRAPHQL_MAX_BATCH is 1", async () => {
  const res = await fetch(api.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: await api.auth() },
    body: JSON.stringify([{ query: "{ viewer { role } }" }, { query: "{ viewer { role } }" }]),
  });
  expect(res.status).toBe(400);
  const body = (await res.json()) as any;
  expect(JSON.stringify(body)).toMatch(/BAD_USER_INPUT|batch/i);
});

test("CSRF prevention: a simple GET without a preflight-forcing header is refused", async () => {
  const res = await fetch(`${api.url}?query=${encodeURIComponent("{ viewer { role } }")}`, {
    headers: { authorization: await api.auth() },
  });
  expect(res.status).toBe(400);
  const ok = await fetch(`${api.url}?query=${encodeURIComponent("{ viewer { role } }")}`, {
    headers: { authorization: await api.auth(), "apollo-require-preflight": "true" },
  });
  expect(ok.status).toBe(200);
});
