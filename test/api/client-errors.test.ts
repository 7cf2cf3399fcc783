/**
 * Client mistakes are typed client errors on every transport: variables failing coercion, null bytes, cursors
 * PostgreSQL would reject, a role claim that is an object, a document over the complexity library's node limit,
 * a subscription over plain HTTP, malformed bodies. Each answers 400 (HTTP) with a code naming what was wrong,
 * the same JSON over HTTP, WebSocket and SSE; nothing is logged as an error and nothing changes.
 */
import { gzipSync } from "node:zlib";
import { SignJWT } from "jose";
import { describe, expect, test } from "vitest";
import { TEST_SECRET, type TestApi } from "../support/api.js";
import { query } from "../support/db.js";
import { codeOf, type Graph, useGraphApi } from "../support/graph.js";
import { errorsIn, recordingLogger } from "../support/log.js";
import { sseClient, sseResults } from "../support/sse.js";
import { wsClient, wsExec } from "../support/ws.js";

let api: TestApi;
let g: Graph;
const { log, records } = recordingLogger();
useGraphApi((opened) => ({ api, g } = opened), { log });

async function auditCount() {
  const [r] = await query<{ n: number }>(api.db.db, "SELECT count(*)::int AS n FROM audit_log");
  return r!.n;
}

/** One operation over WebSocket: its errors, whether sent as `error` (refused) or in a result. */
async function overWs(q: string, variables?: Record<string, unknown>) {
  const { client } = wsClient(api.url, await api.auth());
  try {
    const r = await wsExec(client, q, variables).catch((errors: unknown) => ({ errors }));
    return r as { errors?: any[]; data?: unknown };
  } finally {
    await client.dispose();
  }
}

async function overSse(q: string, variables?: Record<string, unknown>) {
  const client = sseClient(api.url, await api.auth());
  try {
    const [r] = await sseResults(client, q, variables);
    return r as { errors?: any[]; data?: unknown };
  } finally {
    client.dispose();
  }
}

const uuid0 = "00000000-0000-4000-8000-000000000000";
const cursor = (at: unknown, id = uuid0) => Buffer.from(JSON.stringify([at, id])).toString("base64url");
const createUser = `mutation($i: CreateUserInput!) { createUser(input: $i) { id } }`;
const users = `query($f: Int!, $a: String) { users(first: $f, after: $a) { totalCount } }`;

describe("variables that fail coercion: 400 BAD_USER_INPUT naming the variable, on every transport", () => {
  const cases: [string, string, Record<string, unknown>, string][] = [
    ["a string for an Int", users, { f: "x" }, "f"],
    ["an Int out of range", users, { f: 1e12 }, "f"],
    ["a missing required variable", users, {}, "f"],
    ["a missing required input field", createUser, { i: { name: "x" } }, "i.email"],
    ["an unknown input field", createUser, { i: { name: "x", email: "a@b.test", nope: 1 } }, "i"],
    [
      "an unknown enum value",
      `query($s: BulkOperationStatus) { bulkOperations(first: 1, status: $s) { totalCount } }`,
      { s: "SOMEDAY" },
      "s",
    ],
  ];
  test.each(cases)("%s", async (_name, q, variables, field) => {
    const before = await auditCount();
    const http = await api.http(q, variables);
    expect(http.status).toBe(400);
    expect(http.body.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(http.body.data).toBeUndefined();
    // The same error over WebSocket and SSE.
    expect((await overWs(q, variables)).errors).toEqual(http.body.errors);
    expect((await overSse(q, variables)).errors).toEqual(http.body.errors);
    expect(await auditCount()).toBe(before);
  });

  test("the same invalid value inline is a validation failure (GRAPHQL_VALIDATION_FAILED)", async () => {
    const r = await api.http(`{ users(first: "x") { totalCount } }`);
    expect(r.status).toBe(400);
    expect(codeOf(r.body)).toBe("GRAPHQL_VALIDATION_FAILED");
  });
});

describe("values PostgreSQL would reject never reach it", () => {
  test("a null byte in a string variable, nested, or inline names the field and creates nothing", async () => {
    const before = await auditCount();
    const nested = await api.http(createUser, { i: { name: "x\u0000y", email: "nul@x.test" } });
    expect(nested.status).toBe(400);
    expect(nested.body.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "i.name" });
    const reason = await api.http(
      `mutation($id: ID!, $r: String) { softDelete(id: $id, reason: $r) { operationId } }`,
      {
        id: g.liveTask,
        r: "\u0000",
      },
    );
    expect(reason.body.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "r" });
    const inline = await api.http(`mutation { createUser(input: { name: "a\\u0000b", email: "nul2@x.test" }) { id } }`);
    expect(inline.status).toBe(400);
    expect(inline.body.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.name" });
    expect((await overWs(createUser, { i: { name: "x\u0000y", email: "nul@x.test" } })).errors).toEqual(
      nested.body.errors,
    );
    expect(await auditCount()).toBe(before);
  });

  test.each([
    ["year 0", "0000-01-01 00:00:00+00"],
    ["a bare number", "1"],
    ["February 31st", "2024-02-31 10:00:00+00"],
    ["an offset out of range", "2024-01-01 10:00:00+99"],
    ["not a string", 5],
  ])("a cursor holding %s is BAD_USER_INPUT on after", async (_name, at) => {
    for (const q of [users, `query($f: Int!, $a: String) { bulkOperations(first: $f, after: $a) { totalCount } }`]) {
      const r = await api.http(q, { f: 1, a: cursor(at) });
      expect(r.status).toBe(400);
      expect(r.body.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
    }
  });

  test("a cursor as PostgreSQL prints it still pages", async () => {
    const first = await api.http(`{ users(first: 1) { edges { cursor } } }`);
    const after = first.body.data.users.edges[0].cursor;
    const next = await api.http(users, { f: 1, a: after });
    expect(next.status).toBe(200);
    expect(next.body.errors).toBeUndefined();
  });
});

describe("tokens, limits and transports", () => {
  test("a role claim that is an object, or an org that is a number, is UNAUTHENTICATED (401)", async () => {
    const key = new TextEncoder().encode(TEST_SECRET);
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("x@demo.test")
        .setExpirationTime("1h")
        .sign(key);
    for (const claims of [
      { role: { ADMIN: true }, org: "demo" },
      { role: ["ADMIN"], org: "demo" },
      { role: "ADMIN", org: 7 },
    ]) {
      const r = await api.http(`{ viewer { subject } }`, undefined, `Bearer ${await sign(claims)}`);
      expect(r.status).toBe(401);
      expect(codeOf(r.body)).toBe("UNAUTHENTICATED");
    }
  });

  test("a document over the complexity library's node limit is a 400 BAD_USER_INPUT on every transport", async () => {
    const q = `{ ${Array.from({ length: 12_000 }, (_, i) => `a${i}: __typename`).join(" ")} }`;
    const r = await api.http(q);
    expect(r.status).toBe(400);
    expect(r.body.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "query" });
    expect((await overWs(q)).errors).toEqual(r.body.errors);
  });

  test("a subscription over HTTP POST is a 400 BAD_REQUEST pointing at WebSocket and SSE", async () => {
    const r = await api.http(`subscription($id: ID!) { bulkOperationProgress(id: $id) { status } }`, { id: uuid0 });
    expect(r.status).toBe(400);
    expect(codeOf(r.body)).toBe("BAD_REQUEST");
    expect(r.body.errors![0]!.message).toMatch(/graphql-ws.*Server-Sent Events/);
  });

  test("operationName naming no operation is OPERATION_RESOLUTION_FAILURE", async () => {
    const res = await fetch(api.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: await api.auth() },
      body: JSON.stringify({ query: "query A { viewer { subject } }", operationName: "B" }),
    });
    expect(res.status).toBe(400);
    expect(codeOf((await res.json()) as never)).toBe("OPERATION_RESOLUTION_FAILURE");
  });
});

describe("Apollo's codes and global ids", () => {
  test("parse and validation failures carry GRAPHQL_PARSE_FAILED and GRAPHQL_VALIDATION_FAILED on every transport", async () => {
    for (const [q, code] of [
      [`{ users {`, "GRAPHQL_PARSE_FAILED"],
      [`{ users { nope } }`, "GRAPHQL_VALIDATION_FAILED"],
    ] as const) {
      const r = await api.http(q);
      expect(r.status).toBe(400);
      expect(codeOf(r.body)).toBe(code);
      expect((await overWs(q)).errors).toEqual(r.body.errors);
      expect((await overSse(q)).errors).toEqual(r.body.errors);
    }
  });

  test("NOT_FOUND and NOT_DELETED show the global id the client sent, over HTTP and WebSocket", async () => {
    const missing = Buffer.from(`Task:${uuid0}`).toString("base64url");
    const softDelete = `mutation($id: ID!) { softDelete(id: $id) { operationId } }`;
    const restore = `mutation($id: ID!) { restore(id: $id) { operationId } }`;
    for (const [q, id, code] of [
      [softDelete, missing, "NOT_FOUND"],
      [restore, g.liveTask, "NOT_DELETED"],
    ] as const) {
      const http = await api.http(q, { id });
      expect(http.body.errors![0]!.extensions).toMatchObject({ code, type: "Task", id });
      expect(http.body.errors![0]!.message).toContain(id);
      expect(JSON.stringify(http.body)).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
      expect((await overWs(q, { id })).errors).toEqual(http.body.errors);
    }
  });

  test("NOT_FOUND thrown by a subscription's stream keeps its code over WebSocket and SSE", async () => {
    const q = `subscription($id: ID!) { bulkOperationProgress(id: $id) { status } }`;
    const ws = await overWs(q, { id: uuid0 });
    expect(ws.errors![0]!.extensions).toMatchObject({ code: "NOT_FOUND", type: "BulkOperation" });
    expect((await overSse(q, { id: uuid0 })).errors).toEqual(ws.errors);
  });

  test("an EDITOR asking for an ADMIN field gets a typed FORBIDDEN naming the field and role", async () => {
    const r = await api.http(`{ healthReport { generatedAt } }`, undefined, await api.auth("EDITOR"));
    expect(r.status).toBe(400);
    expect(r.body.errors![0]!.extensions).toEqual({ code: "FORBIDDEN", requiredRole: "ADMIN" });
    expect(r.body.errors![0]!.message).toBe("Query.healthReport needs the ADMIN role or above; this token has EDITOR");
  });

  test("application/graphql-response+json: a refused field is 200 with data null, a request error 400", async () => {
    const post = async (q: string) => {
      const res = await fetch(api.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/graphql-response+json",
          authorization: await api.auth("EDITOR"),
        },
        body: JSON.stringify({ query: q }),
      });
      return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as any };
    };
    const field = await post(`{ healthReport { generatedAt } }`);
    expect(field.status).toBe(200);
    expect(field.type).toMatch(/^application\/graphql-response\+json/);
    expect(field.body.data).toBeNull();
    expect(codeOf(field.body)).toBe("FORBIDDEN");
    const request = await post(`{ users { nope } }`);
    expect(request.status).toBe(400);
    expect(request.body.data).toBeUndefined();
  });
});

describe("HTTP bodies the server cannot read answer GraphQL JSON, never HTML", () => {
  const send = async (body: string | Buffer, headers: Record<string, string>) => {
    const res = await fetch(api.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: await api.auth(), ...headers },
      body,
    });
    return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
  };
  test.each([
    ["malformed JSON", "{bad", {}, 400],
    ["a charset other than UTF-8", "{}", { "content-type": "application/json; charset=latin2" }, 415],
    ["a body over the limit", JSON.stringify({ query: "x".repeat(1_100_000) }), {}, 413],
    ["an unknown content encoding", "{}", { "content-encoding": "zz" }, 415],
    ["a corrupt gzip body", Buffer.from("not gzip"), { "content-encoding": "gzip" }, 400],
  ] as const)("%s", async (_name, body, headers, status) => {
    const r = await send(body, headers);
    expect(r.status).toBe(status);
    expect(r.type).toMatch(/^application\/json/);
    const parsed = JSON.parse(r.text);
    expect(parsed.errors[0].extensions.code).toBe("BAD_REQUEST");
    expect(r.text).not.toMatch(/<html|at [\w.]+ \(|node_modules/i);
  });

  test("a gzip body is read", async () => {
    const r = await send(gzipSync(JSON.stringify({ query: "{ viewer { subject } }" })), { "content-encoding": "gzip" });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).data.viewer.subject).toBe("admin@demo.test");
  });
});

test("none of the above was logged as an error", () => {
  expect(errorsIn(records)).toEqual([]);
});
