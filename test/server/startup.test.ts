/**
 * `npm start` as an operator meets it: bad settings and unreachable databases stop start-up with one line
 * and a non-zero exit; a good start prints the URL and a working demo token, answers /healthz and /readyz,
 * and SIGTERM drains HTTP and WebSocket and exits 0.
 */
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { WS_MAX_PAYLOAD_BYTES } from "../../src/server/websocket.js";
import { onPostgres, openTestDatabase, type TestDatabase } from "../support/db.js";
import {
  bannerToken,
  exitOf as exitOfScript,
  SERVER_MAIN,
  spawnServer,
  type ServerProcess,
} from "../support/server-process.js";
import { wsClient, wsExec } from "../support/ws.js";

const exitOf = (env: Record<string, string>) => exitOfScript(SERVER_MAIN, env);

describe("start-up refuses bad configuration and unreachable databases with one line", () => {
  test.each([
    [{ DATABASE_URL: "not a url" }, "DATABASE_URL"],
    [{ PORT: "abc" }, "PORT"],
    [{ BULK_BATCH_SIZE: "0" }, "BULK_BATCH_SIZE"],
    [{ NODE_ENV: "production" }, "AUTH_SECRET"],
  ])("%j → exit 2 naming %s", async (env, name) => {
    const r = await exitOf({ PGLITE_DIR: "memory://", ...env });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
    expect(r.stdout).toBe("");
  });

  test("an unreachable PostgreSQL → exit 1 with one line naming it, no stack trace", async () => {
    const r = await exitOf({
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/nothing",
      DATABASE_CONNECT_TIMEOUT_MS: "2000",
    });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/cannot reach PostgreSQL at 127\.0\.0\.1:1/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe(`a full start on ${onPostgres ? "PostgreSQL" : "PGlite"}`, () => {
  let db: TestDatabase | undefined;
  let server: ServerProcess;
  let url: string;
  let token: string;

  beforeAll(async () => {
    // A 10-minute grace: shutdown must end because nothing is left to drain, never because the grace ran out.
    const env: Record<string, string> = { SEED_DEMO: "true", SHUTDOWN_TIMEOUT_MS: "600000", LOG_LEVEL: "info" };
    if (onPostgres) {
      db = await openTestDatabase();
      env.DATABASE_URL = db.url!;
      env.DATABASE_DIRECT_URL = db.directUrl!;
    } else env.PGLITE_DIR = "memory://";
    server = spawnServer(env);
    // The banner goes to stderr: stdout carries only JSON log lines.
    url = await server.ready;
    token = await bannerToken(server);
  });
  afterAll(async () => {
    if (server.child.exitCode === null) server.child.kill("SIGKILL");
    await db?.close();
  });

  test("prints the URL and a demo ADMIN token that works against the seeded demo organization", async () => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "{ viewer { role organization { slug } } projects { totalCount } }" }),
    });
    const body = (await res.json()) as any;
    expect(body.data.viewer).toEqual({ role: "ADMIN", organization: { slug: "demo" } });
    expect(body.data.projects.totalCount).toBeGreaterThan(0);
  });

  test("/healthz and /readyz answer", async () => {
    const base = url.replace(/\/graphql$/, "");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as any).database).toBe(onPostgres ? "postgres" : "pglite");
  });

  test("stdout carries only JSON log lines, one per GraphQL request, naming no subject", async () => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-request-id": "startup-1" },
      body: JSON.stringify({ query: "query StartupProbe { viewer { role } }" }),
    });
    expect(res.status).toBe(200);
    await res.text();
    let line: any;
    for (let i = 0; i < 100 && !line; i++) {
      const lines = server.output().stdout.split("\n").filter(Boolean);
      for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
      line = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "request" && l.requestId === "startup-1");
      if (!line) await new Promise((r) => setTimeout(r, 50));
    }
    expect(line).toMatchObject({
      level: 30,
      method: "POST",
      path: "/graphql",
      status: 200,
      operationName: "StartupProbe",
      operationType: "query",
      organization: "demo",
      role: "ADMIN",
      errorCodes: [],
    });
    expect(line.subject).toMatch(/^[0-9a-f]{16}$/);
    expect(server.output().stdout).not.toContain("admin@demo.test");
    expect(server.output().stdout).not.toContain(token);
  });

  test("oversized WebSocket frames print no stack trace: stderr unchanged, one JSON log line per socket", async () => {
    const stderrBefore = server.output().stderr;
    for (let i = 0; i < 10; i++) {
      const ws = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws");
      await new Promise((r, j) => ws.once("open", r).once("error", j));
      const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
      ws.send(JSON.stringify({ type: "connection_init", payload: { junk: "x".repeat(WS_MAX_PAYLOAD_BYTES + 1) } }));
      expect(await closed).toBe(1009);
    }
    const logged = () =>
      server
        .output()
        .stdout.split("\n")
        .filter((l) => l.includes("websocket closed on a protocol error")).length;
    for (let i = 0; i < 100 && logged() < 10; i++) await new Promise((r) => setTimeout(r, 50));
    expect(server.output().stderr).toBe(stderrBefore);
    expect(logged()).toBe(10);
  });

  test("SIGTERM with an open WebSocket and an idle keep-alive connection: drains, exits 0, never waits out the grace", async () => {
    const { client, closed } = wsClient(url, `Bearer ${token}`);
    expect((await wsExec(client, "{ viewer { role } }")).data.viewer.role).toBe("ADMIN");
    // An HTTP/1.1 keep-alive connection left idle (fetch keeps it open for reuse).
    const agentRes = await fetch(url.replace(/\/graphql$/, "/healthz"), { headers: { connection: "keep-alive" } });
    await agentRes.text();
    server.child.kill("SIGTERM");
    const [code] = (await once(server.child, "exit")) as [number];
    expect(code).toBe(0);
    expect((await closed).code).not.toBe(4401);
    await client.dispose();
    const lines = server
      .output()
      .stdout.split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const stopped = lines.find((l) => l.msg === "stopped");
    expect(stopped).toBeDefined();
    // SHUTDOWN_TIMEOUT_MS is 10 minutes and the test's own timeout one: the exit came from draining.
    expect(lines.some((l) => l.msg === "shutdown timed out; exiting")).toBe(false);
    console.info(`idle shutdown took ${stopped.ms} ms`);
  });
});
