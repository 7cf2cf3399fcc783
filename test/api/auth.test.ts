/**
 * The token × role × tenant matrix, over HTTP and over WebSocket: who may read, write, see the trash,
 * hard-delete and read the audit log, and that no token reaches another organization's rows.
 */
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { signToken } from "../../src/auth/token.js";
import { startTestApi, TEST_SECRET, type TestApi } from "../support/api.js";
import { codeOf, must } from "../support/graph.js";
import { wsClient, wsExec } from "../support/ws.js";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

type Transport = "http" | "ws";
async function run(transport: Transport, authorization: string, query: string, variables?: Record<string, unknown>) {
  if (transport === "http") return (await api.http(query, variables, authorization)).body;
  const { client } = wsClient(api.url, authorization);
  try {
    return await wsExec(client, query, variables);
  } finally {
    await client.dispose();
  }
}

const badTokens = async (): Promise<[string, string | null][]> => [
  ["missing", null],
  ["not a JWT", "Bearer not.a.jwt"],
  ["wrong scheme", `Basic ${Buffer.from("a:b").toString("base64")}`],
  [
    "expired",
    `Bearer ${await new SignJWT({ role: "ADMIN", org: "demo" }).setProtectedHeader({ alg: "HS256" }).setSubject("x").setIssuedAt(1).setExpirationTime(2).sign(new TextEncoder().encode(TEST_SECRET))}`,
  ],
  [
    "signed with another secret",
    `Bearer ${await signToken({ sub: "x", role: "ADMIN", org: "demo" }, "another-secret-another-secret-another", 60_000)}`,
  ],
  [
    "unknown organization",
    `Bearer ${await signToken({ sub: "x", role: "ADMIN", org: "nowhere" }, TEST_SECRET, 60_000)}`,
  ],
];

describe("UNAUTHENTICATED", () => {
  test("over HTTP, every bad token gets 401 UNAUTHENTICATED for queries and mutations alike", async () => {
    for (const [, auth] of await badTokens()) {
      for (const q of [
        `{ viewer { subject } }`,
        `mutation { createUser(input: { email: "x@y.test", name: "x" }) { id } }`,
      ]) {
        const r = await api.http(q, undefined, auth);
        expect(r.status).toBe(401);
        expect(codeOf(r.body)).toBe("UNAUTHENTICATED");
        expect(r.body.data ?? null).toBeNull();
      }
    }
  });

  test("over WebSocket, connection_init with a bad token closes the socket with 4401 UNAUTHENTICATED", async () => {
    for (const [name, auth] of await badTokens()) {
      const { client, closed } = wsClient(api.url, auth ?? undefined);
      const result = wsExec(client, `{ viewer { subject } }`).then(
        () => "answered",
        () => "refused",
      );
      const event = await closed;
      expect(event.code, name).toBe(4401);
      expect(event.reason).toMatch(/^UNAUTHENTICATED/);
      expect(await result).toBe("refused");
      await client.dispose();
    }
  });
});

const READ = `{ viewer { role } users(first: 1) { totalCount } }`;
const TRASH = `{ users(onlyDeleted: true) { totalCount } }`;
const WRITE = `mutation($e: String!) { createUser(input: { email: $e, name: "Matrix" }) { id } }`;
const AUDIT = `{ auditLog(first: 1) { totalCount } }`;

describe.each(["http", "ws"] as const)("roles over %s", (transport) => {
  let n = 0;
  const email = () => `matrix-${transport}-${++n}-${Date.now()}@demo.test`;

  test("VIEWER reads, but includeDeleted/onlyDeleted, writes and admin operations are FORBIDDEN", async () => {
    const viewer = await api.auth("VIEWER");
    expect((await run(transport, viewer, READ)).data.viewer.role).toBe("VIEWER");
    expect(codeOf(await run(transport, viewer, TRASH))).toBe("FORBIDDEN");
    expect(codeOf(await run(transport, viewer, `{ users(includeDeleted: true) { totalCount } }`))).toBe("FORBIDDEN");
    expect(codeOf(await run(transport, viewer, WRITE, { e: email() }))).toBe("FORBIDDEN");
    expect(codeOf(await run(transport, viewer, AUDIT))).toBe("FORBIDDEN");
  });

  test("EDITOR also writes, soft-deletes, restores and sees the trash; hardDelete and auditLog are FORBIDDEN", async () => {
    const editor = await api.auth("EDITOR");
    expect((await run(transport, editor, TRASH)).data.users.totalCount).toBeGreaterThan(0);
    const created = await run(transport, editor, WRITE, { e: email() });
    const id = created.data.createUser.id;
    const del = await run(transport, editor, `mutation($id: ID!) { softDelete(id: $id) { node { isDeleted } } }`, {
      id,
    });
    expect(del.data.softDelete.node.isDeleted).toBe(true);
    expect(
      codeOf(await run(transport, editor, `mutation($id: ID!) { hardDelete(id: $id) { deletedId } }`, { id })),
    ).toBe("FORBIDDEN");
    const res = await run(transport, editor, `mutation($id: ID!) { restore(id: $id) { node { isDeleted } } }`, { id });
    expect(res.data.restore.node.isDeleted).toBe(false);
    expect(codeOf(await run(transport, editor, AUDIT))).toBe("FORBIDDEN");
  });

  test("ADMIN also hard-deletes and reads the audit log", async () => {
    const admin = await api.auth("ADMIN");
    const id = (await run(transport, admin, WRITE, { e: email() })).data.createUser.id;
    await run(transport, admin, `mutation($id: ID!) { softDelete(id: $id) { operationId } }`, { id });
    const hard = await run(
      transport,
      admin,
      `mutation($id: ID!) { hardDelete(id: $id) { deletedId deleted { type count } } }`,
      { id },
    );
    expect(hard.data.hardDelete).toEqual({ deletedId: id, deleted: [{ type: "User", count: 1 }] });
    expect((await run(transport, admin, AUDIT)).data.auditLog.totalCount).toBeGreaterThan(0);
  });

  test("a token of one organization never sees or changes another's rows: NOT_FOUND, as for a missing id", async () => {
    const acme = await api.auth("ADMIN", "acme");
    const demo = await api.auth("ADMIN", "demo");
    const acmeTask = (await run(transport, acme, `{ tasks(first: 1) { edges { node { id } } } }`)).data.tasks.edges[0]
      .node.id;
    const demoIds = (
      await run(transport, demo, `{ tasks(first: 100, includeDeleted: true) { edges { node { id } } } }`)
    ).data.tasks.edges.map((e: any) => e.node.id);
    expect(demoIds).not.toContain(acmeTask);
    expect(
      (await run(transport, demo, `query($id: ID!) { task(id: $id, includeDeleted: true) { id } }`, { id: acmeTask }))
        .data.task,
    ).toBeNull();
    expect(
      (await run(transport, demo, `query($id: ID!) { node(id: $id, includeDeleted: true) { id } }`, { id: acmeTask }))
        .data.node,
    ).toBeNull();
    for (const m of [
      `mutation($id: ID!) { softDelete(id: $id) { operationId } }`,
      `mutation($id: ID!) { updateTask(id: $id, input: { title: "hijack" }) { id } }`,
      `mutation($id: ID!) { createComment(input: { taskId: $id, body: "hijack" }) { id } }`,
    ]) {
      expect(codeOf(await run(transport, demo, m, { id: acmeTask }))).toBe("NOT_FOUND");
    }
    const still = await run(
      transport,
      acme,
      `query($id: ID!) { task(id: $id) { title isDeleted comments { totalCount } } }`,
      { id: acmeTask },
    );
    expect(still.data.task.isDeleted).toBe(false);
    expect(still.data.task.title).not.toBe("hijack");
  });
});

test("the WebSocket and HTTP agree on the same query's data", async () => {
  const admin = await api.auth("ADMIN");
  const q = `{ projects(first: 5) { totalCount edges { node { id tasks { totalCount } } } } }`;
  expect(await run("ws", admin, q)).toEqual(await run("http", admin, q));
  expect((await must(api, q)).projects.totalCount).toBeGreaterThan(0);
});
