/**
 * The smaller findings: a deadlock left after the retries is RETRYABLE, not INTERNAL_SERVER_ERROR; a client's
 * x-request-id is kept only in a bounded safe format (else generated) before it reaches the audit trail; the
 * IDE's demo token is served only to loopback requests for a loopback Host; an uppercase uuid in a global id
 * resolves everywhere as its lowercase spelling.
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RetryableError } from "../../src/engine/errors.js";
import { inTransaction } from "../../src/engine/transaction.js";
import { translateDbError } from "../../src/engine/translate.js";
import { maskError } from "../../src/graphql/mask-error.js";
import { GraphQLError } from "graphql";
import { startTestApi, TEST_LIMITS, type TestApi } from "../support/api.js";
import { query } from "../support/db.js";
import { must } from "../support/graph.js";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

function get(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("smaller findings", () => {
  test("a deadlock that outlives the retries reaches the client as RETRYABLE", async () => {
    const deadlock = Object.assign(new Error("deadlock detected"), { code: "40P01" });
    let attempts = 0;
    const err = await inTransaction(
      api.db.db,
      async () => {
        attempts++;
        throw new Error("wrapped", { cause: deadlock });
      },
      { attempts: 3, baseDelayMs: 1 },
    ).catch((e) => e);
    expect(attempts).toBe(3);
    const translated = translateDbError(api.engine.registry, err);
    expect(translated).toBeInstanceOf(RetryableError);
    const asSeen = new GraphQLError("x", { originalError: translated as Error });
    expect(maskError(asSeen.toJSON(), asSeen).formatted.extensions).toMatchObject({
      code: "RETRYABLE",
      retryable: true,
    });
  });

  test("x-request-id: a safe bounded value is kept; anything else is replaced before it reaches the audit trail", async () => {
    const send = async (requestId: string) => {
      const res = await fetch(api.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: await api.auth(), "x-request-id": requestId },
        body: JSON.stringify({
          query: `mutation($s: String!) { createProject(input: { slug: $s, name: "rid" }) { id } }`,
          variables: { s: `rid-${Math.random().toString(36).slice(2, 10)}` },
        }),
      });
      const body = (await res.json()) as any;
      const uuid = Buffer.from(body.data.createProject.id, "base64url").toString().split(":")[1];
      const [row] = await query<{ request_id: string }>(
        api.db.db,
        `SELECT request_id FROM audit_log WHERE entity_id = '${uuid}' AND action = 'CREATE'`,
      );
      return { header: res.headers.get("x-request-id"), stored: row!.request_id };
    };
    expect(await send("trace-1.abc_DEF")).toEqual({ header: "trace-1.abc_DEF", stored: "trace-1.abc_DEF" });
    for (const bad of ["x".repeat(101), "<script>", "a b", "ünïcode"]) {
      const r = await send(bad);
      expect(r.stored).not.toBe(bad);
      expect(r.stored).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.header).toBe(r.stored);
    }
  });

  test("the IDE carries the demo token only for a loopback Host", async () => {
    const { createApp } = await import("../../src/server/app.js");
    const { pino } = await import("pino");
    const app = await createApp({
      handle: api.db,
      engine: api.engine,
      bulk: api.services.bulk,
      maintenance: api.services.maintenance,
      secret: "s".repeat(40),
      log: pino({ level: "silent" }),
      limits: TEST_LIMITS,
      ide: { initialHeaders: { authorization: "Bearer demo-token-marker" } },
    });
    const url = await app.listen(0, "127.0.0.1");
    try {
      const port = new URL(url).port;
      expect(await get(url, { accept: "text/html", host: `localhost:${port}` })).toContain("demo-token-marker");
      expect(await get(url, { accept: "text/html", host: `127.0.0.1:${port}` })).toContain("demo-token-marker");
      for (const host of [`evil.example:${port}`, `10.0.0.8:${port}`, `localhost.evil.example`]) {
        const html = await get(url, { accept: "text/html", host });
        expect(html).toContain("ruru-root");
        expect(html).not.toContain("demo-token-marker");
      }
    } finally {
      await app.close();
    }
  });

  test("an uppercase uuid in a global id resolves in every field, as the same row", async () => {
    const task = (await must(api, `{ tasks(first: 1) { edges { node { id title } } } }`)).tasks.edges[0].node;
    const [type, uuid] = Buffer.from(task.id, "base64url").toString().split(":");
    const upper = Buffer.from(`${type}:${uuid!.toUpperCase()}`).toString("base64url");
    const r = await must(
      api,
      `query($id: ID!) { task(id: $id) { id title } node(id: $id) { id } deletionPreview(id: $id) { cascaded { type } } }`,
      { id: upper },
    );
    expect(r.task).toEqual({ id: task.id, title: task.title });
    expect(r.node).toEqual({ id: task.id });
    const c = await must(
      api,
      `mutation($t: ID!) { createComment(input: { taskId: $t, body: "upper" }) { id task { id } } }`,
      { t: upper },
    );
    expect(c.createComment.task.id).toBe(task.id);
    const del = await must(api, `mutation($id: ID!) { softDelete(id: $id) { node { id } } }`, {
      id: Buffer.from(
        `Comment:${Buffer.from(c.createComment.id, "base64url").toString().split(":")[1]!.toUpperCase()}`,
      ).toString("base64url"),
    });
    expect(del.softDelete.node.id).toBe(c.createComment.id);
  });
});
