/** Abusive operations are refused before they execute: depth, cost, batching, CSRF. */
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestApi, type TestApi } from "../support/api.js";
import { codeOf } from "../support/graph.js";

let api: TestApi;
beforeAll(async () => {
  // No bulk runner: its polling would add statements to the count.
  api = await startTestApi({ limits: { maxDepth: 8, maxCost: 2_000, maxAliases: 20 }, runner: false });
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

test("3,300 aliases of tasks(first: 0) { totalCount } are refused before any SQL, inline and as variables (GRAPHQL_MAX_ALIASES)", async () => {
  const inline = `{ ${Array.from({ length: 3300 }, (_, i) => `a${i}: tasks(first: 0) { totalCount }`).join(" ")} }`;
  const withVariables = `query($n: Int!) { ${Array.from({ length: 3300 }, (_, i) => `a${i}: tasks(first: $n) { totalCount }`).join(" ")} }`;
  for (const [query, variables] of [
    [inline, undefined],
    [withVariables, { n: 0 }],
  ] as const) {
    api.db.statements.length = 0;
    const r = await api.http(query, variables);
    expect(r.status).toBe(400);
    expect(codeOf(r.body)).toBe("BAD_USER_INPUT");
    expect(r.body.errors![0]!.message).toMatch(/field tasks is selected under 3300 names.*GRAPHQL_MAX_ALIASES/);
    expect(api.db.statements.length).toBe(0);
  }
});

test("aliases are counted per field and selection set, fragments included: 20 pass, 21 are refused", async () => {
  const aliases = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => `v${from + i}: viewer { role }`).join(" ");
  expect((await api.http(`{ ${aliases(20)} }`)).body.errors).toBeUndefined();
  // Each spread alone stays under the limit; together they select viewer under 21 names at the root.
  const split = `fragment A on Query { ${aliases(11)} } fragment B on Query { ${aliases(10, 11)} } { ...A ...B }`;
  const r = await api.http(split);
  expect(codeOf(r.body)).toBe("BAD_USER_INPUT");
  expect(r.body.errors![0]!.message).toMatch(/field viewer is selected under 21 names/);
  // Nested selection sets are counted on their own: 20 at the root and 20 below each is fine.
  const nested = `{ ${Array.from({ length: 2 }, (_, i) => `p${i}: projects(first: 1) { edges { node { ${Array.from({ length: 20 }, (_, j) => `n${j}: name`).join(" ")} } } }`).join(" ")} }`;
  expect((await api.http(nested)).body.errors).toBeUndefined();
});

test("totalCount and reports carry their real cost: 50 counts or one healthReport exceed a 2,000 budget, pages alone do not", async () => {
  const page = (count: string) =>
    `{ projects(first: 50) { edges { node { tasks(first: 1) { ${count} edges { node { id } } } } } } }`;
  expect((await api.http(page(""))).body.errors).toBeUndefined();
  const counted = await api.http(page("totalCount"));
  expect(codeOf(counted.body)).toBe("BAD_USER_INPUT");
  expect(counted.body.errors![0]!.message).toMatch(/query cost \d+ exceeds the limit of 2000/);
  // The same with the page sizes as variables, as typed clients send them.
  const withVariables = `query($n: Int!, $m: Int!) { projects(first: $n) { edges { node { tasks(first: $m) { totalCount edges { node { id } } } } } } }`;
  const variables = await api.http(withVariables, { n: 50, m: 1 });
  expect(codeOf(variables.body)).toBe("BAD_USER_INPUT");
  expect(variables.body.errors![0]!.message).toMatch(/query cost \d+ exceeds the limit of 2000/);
  expect((await api.http(withVariables, { n: 5, m: 1 })).body.errors).toBeUndefined();
  const admin = await api.auth("ADMIN");
  for (const report of ["{ healthReport { durationMs } }", "{ auditIntegrity { ok } }"]) {
    const r = await api.http(report, undefined, admin);
    expect(codeOf(r.body), report).toBe("BAD_USER_INPUT");
    expect(r.body.errors![0]!.message, report).toMatch(/query cost 2000\d exceeds/);
  }
});
