/**
 * GET /metrics after real traffic: every family moves when its event happens (requests and latency by
 * operation, errors by code, WebSockets and subscriptions, soft deletes and restores by entity, bulk
 * operations and their rows, purges, the pool), operation names stay bounded, and the endpoint honours its
 * bearer token and its own port.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { lifecycleLog } from "../../src/server/lifecycle-log.js";
import { listenMetrics } from "../../src/server/metrics-server.js";
import type { DatabaseHandle } from "../../src/db/database.js";
import type { ReplicaStatus } from "../../src/db/replicas.js";
import { Metrics } from "../../src/server/metrics.js";
import { startTestApi, type TestApi } from "../support/api.js";
import { onPostgres } from "../support/db.js";
import { must } from "../support/graph.js";
import { sseClient, sseResults } from "../support/sse.js";
import { wsClient, wsExec } from "../support/ws.js";

const METRICS_TOKEN = "metrics-token-metrics-token";

/** Parses Prometheus text into `name{labels}` → value (labels in the order they are written). */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

let api: TestApi;
let origin: string;
/** What the server logged, one parsed JSON line each. */
const logged: any[] = [];
const log = pino({ level: "debug" }, { write: (line: string) => void logged.push(JSON.parse(line)) });

async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(await res.text());
}

const v = (m: Map<string, number>, key: string) => m.get(key) ?? 0;

async function until(check: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  api = await startTestApi({
    bulk: { batchSize: 2 },
    app: { metricsEndpoint: { enabled: true, token: METRICS_TOKEN } },
    log,
    observer: lifecycleLog(log),
  });
  origin = new URL(api.url).origin;
});
afterAll(() => api?.close());

describe("/metrics", () => {
  test("answers only its bearer token", async () => {
    expect((await fetch(`${origin}/metrics`)).status).toBe(401);
    expect((await fetch(`${origin}/metrics`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await scrape()).size).toBeGreaterThan(0);
  });

  test("requests and latency by operation name and type; errors by code; unnamed and unparseable grouped", async () => {
    const before = await scrape();
    await api.http("query MetricsList { projects { totalCount } }");
    await api.http("query MetricsList { projects { totalCount } }");
    await api.http("{ viewer { role } }");
    const viewer = await api.auth("VIEWER");
    const forbidden = await api.http("query Trash { projects(onlyDeleted: true) { totalCount } }", undefined, viewer);
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const broken = (await api.http("query Broken { nope")).body.errors![0]!.extensions!.code as string;
    const after = await scrape();
    const named = 'graphql_requests_total{operation="MetricsList",type="query"}';
    expect(v(after, named) - v(before, named)).toBe(2);
    const hist = 'graphql_request_duration_seconds_count{operation="MetricsList",type="query"}';
    expect(v(after, hist) - v(before, hist)).toBe(2);
    const unnamed = 'graphql_requests_total{operation="unnamed",type="query"}';
    expect(v(after, unnamed) - v(before, unnamed)).toBe(1);
    const unknown = 'graphql_requests_total{operation="unknown",type="unknown"}';
    expect(v(after, unknown) - v(before, unknown)).toBe(1);
    const code = 'graphql_errors_total{code="FORBIDDEN"}';
    expect(v(after, code) - v(before, code)).toBe(1);
    const parsed = `graphql_errors_total{code="${broken}"}`;
    expect(v(after, parsed) - v(before, parsed)).toBeGreaterThanOrEqual(1);
    // The two lists compile to SQL; `viewer` and the refused trash read go through the resolvers.
    const compiled = 'graphql_read_compiler_total{outcome="compiled"}';
    expect(v(after, compiled) - v(before, compiled)).toBe(2);
    const resolvers = 'graphql_read_compiler_total{outcome="resolvers"}';
    expect(v(after, resolvers) - v(before, resolvers)).toBe(2);
  });

  test("soft deletes and restores count rows by entity, cascades included", async () => {
    const p = await must(api, `mutation { createProject(input: { slug: "metrics-p", name: "m" }) { id } }`);
    const project = p.createProject.id;
    for (let i = 0; i < 2; i++)
      await must(api, `mutation($p: ID!) { createTask(input: { projectId: $p, title: "t" }) { id } }`, { p: project });
    const before = await scrape();
    const del = await api.http(`mutation($id: ID!) { softDelete(id: $id) { operationId } }`, { id: project });
    expect(del.body.errors).toBeUndefined();
    // A dry run changes nothing, and counts nothing.
    await api.http(`mutation($id: ID!) { restore(id: $id) { operationId } }`, { id: project });
    await api.http(`mutation($id: ID!) { softDelete(id: $id, dryRun: true) { operationId } }`, { id: project });
    const after = await scrape();
    const d = (key: string) => v(after, key) - v(before, key);
    expect(d('softdelete_rows_total{entity="Project",action="SOFT_DELETE"}')).toBe(1);
    expect(d('softdelete_rows_total{entity="Task",action="SOFT_DELETE"}')).toBe(2);
    expect(d('softdelete_rows_total{entity="Project",action="RESTORE"}')).toBe(1);
    expect(d('softdelete_rows_total{entity="Task",action="RESTORE"}')).toBe(2);
  });

  test("bulk operations by status with rows processed and rows/s; purge runs and rows purged", async () => {
    const p = await must(api, `mutation { createProject(input: { slug: "metrics-bulk", name: "m" }) { id } }`);
    for (let i = 0; i < 5; i++)
      await must(api, `mutation($p: ID!) { createTask(input: { projectId: $p, title: "t" }) { id } }`, {
        p: p.createProject.id,
      });
    const before = await scrape();
    const op = await must(
      api,
      `mutation($p: ID!) { bulkSoftDelete(filter: { type: Task, projectId: $p }, reason: "metrics") { id } }`,
      { p: p.createProject.id },
    );
    await until(
      async () =>
        (await must(api, `query($id: ID!) { bulkOperation(id: $id) { status } }`, { id: op.bulkSoftDelete.id }))
          .bulkOperation.status === "SUCCEEDED",
      "the bulk operation",
    );
    const purge = await must(api, `mutation { purgeExpired(dryRun: false) { alreadyRunning } }`);
    expect(purge.purgeExpired.alreadyRunning).toBe(false);
    const after = await scrape();
    const d = (key: string) => v(after, key) - v(before, key);
    expect(d('bulk_operations_total{kind="SOFT_DELETE",status="RUNNING"}')).toBe(1);
    expect(d('bulk_operations_total{kind="SOFT_DELETE",status="SUCCEEDED"}')).toBe(1);
    expect(d('bulk_rows_processed_total{kind="SOFT_DELETE"}')).toBe(5);
    expect(d('bulk_batch_duration_seconds_count{kind="SOFT_DELETE"}')).toBeGreaterThanOrEqual(3);
    expect(v(after, 'bulk_rows_per_second{kind="SOFT_DELETE"}')).toBeGreaterThan(0);
    expect(d('softdelete_rows_total{entity="Task",action="SOFT_DELETE"}')).toBe(5);
    expect(d('purge_runs_total{outcome="done"}')).toBe(1);
    // The operation's lifecycle in the log: started, then succeeded with its counts and rate.
    const lines = logged.filter((l) => l.bulkOperation === op.bulkSoftDelete.id);
    expect(lines.map((l) => l.msg)).toEqual(["bulk operation started", "bulk operation succeeded"]);
    expect(lines[1]).toMatchObject({ kind: "SOFT_DELETE", status: "SUCCEEDED", processed: 5, skipped: 0 });
    expect(lines[1].rowsPerSecond).toBeGreaterThan(0);
  });

  test("one log line per GraphQL request: operation, organization, role, hashed subject, status, error codes", async () => {
    const viewer = await api.auth("VIEWER", "demo", "someone@demo.test");
    const res = await fetch(api.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: viewer, "x-request-id": "log-line-1" },
      body: JSON.stringify({ query: "query Trash { projects(onlyDeleted: true) { totalCount } }", variables: {} }),
    });
    expect(res.headers.get("x-request-id")).toBe("log-line-1");
    // Refused with no data: 400 over application/json (apollo-plugins.ts refusalStatus).
    expect(res.status).toBe(400);
    await res.json();
    await new Promise((r) => setTimeout(r, 50));
    const lines = logged.filter((l) => l.msg === "request" && l.requestId === "log-line-1");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      method: "POST",
      path: "/graphql",
      status: 400,
      operationName: "Trash",
      operationType: "query",
      organization: "demo",
      role: "VIEWER",
      errorCodes: ["FORBIDDEN"],
    });
    expect(lines[0].durationMs).toBeGreaterThanOrEqual(0);
    expect(lines[0].subject).toMatch(/^[0-9a-f]{16}$/);
    const text = JSON.stringify(logged);
    expect(text).not.toContain("someone@demo.test");
    expect(text).not.toContain(viewer.slice("Bearer ".length));
    // A bad token: 401, logged with its code and no caller.
    const bad = await fetch(api.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer nope", "x-request-id": "log-line-2" },
      body: JSON.stringify({ query: "{ viewer { role } }" }),
    });
    expect(bad.status).toBe(401);
    await bad.text();
    await new Promise((r) => setTimeout(r, 50));
    expect(logged.find((l) => l.msg === "request" && l.requestId === "log-line-2")).toMatchObject({
      status: 401,
      errorCodes: ["UNAUTHENTICATED"],
      subject: null,
    });
    // Tokenless introspection: its context has no viewer; logged with its operation and no caller.
    const tokenless = await fetch(api.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "log-line-4" },
      body: JSON.stringify({ query: "query Types { __schema { queryType { name } } }" }),
    });
    expect(tokenless.status).toBe(200);
    await tokenless.text();
    await new Promise((r) => setTimeout(r, 50));
    expect(logged.find((l) => l.msg === "request" && l.requestId === "log-line-4")).toMatchObject({
      status: 200,
      operationName: "Types",
      operationType: "query",
      subject: null,
      organization: null,
      errorCodes: [],
    });
    // Probes log at debug only.
    await (await fetch(`${origin}/healthz`, { headers: { "x-request-id": "log-line-3" } })).text();
    await new Promise((r) => setTimeout(r, 50));
    expect(logged.find((l) => l.msg === "request" && l.requestId === "log-line-3")).toMatchObject({
      level: 20,
      path: "/healthz",
    });
  });

  test("open WebSockets and active subscriptions go up and back down", async () => {
    const before = await scrape();
    const { client } = wsClient(api.url, await api.auth());
    // A subscription that stays open: progress of an operation left PENDING while the runner is stopped.
    const queued = await must(api, `mutation { createProject(input: { slug: "metrics-ws", name: "w" }) { id } }`).then(
      (r) => r.createProject.id,
    );
    await api.services.runner.stop();
    const bulk = await must(api, `mutation($id: ID!) { bulkSoftDelete(ids: [$id]) { id } }`, { id: queued });
    const events: unknown[] = [];
    const done = new Promise<void>((resolve, reject) =>
      client.subscribe(
        {
          query: `subscription($id: ID!) { bulkOperationProgress(id: $id) { status } }`,
          variables: { id: bulk.bulkSoftDelete.id },
        },
        { next: (e) => void events.push(e), error: reject, complete: resolve },
      ),
    );
    await until(async () => events.length > 0, "the first progress event");
    const open = await scrape();
    expect(v(open, "graphql_websocket_connections") - v(before, "graphql_websocket_connections")).toBe(1);
    const subs = 'graphql_subscriptions_active{transport="websocket"}';
    expect(v(open, subs) - v(before, subs)).toBe(1);
    const subscribed = 'graphql_requests_total{operation="unnamed",type="subscription"}';
    expect(v(open, subscribed) - v(before, subscribed)).toBe(1);
    api.services.runner.start();
    await done;
    await client.dispose();
    await until(
      async () => v(await scrape(), "graphql_websocket_connections") === v(before, "graphql_websocket_connections"),
      "the socket to close",
    );
    expect(v(await scrape(), subs)).toBe(v(before, subs));
  });

  test("one log line per WebSocket operation when it ends: a query, a refusal, a subscription with its events", async () => {
    const before = await scrape();
    const from = logged.length;
    const { client } = wsClient(api.url, await api.auth("ADMIN", "demo", "ws-logger@demo.test"));
    try {
      const ok = await wsExec(client, "query WsViewer { viewer { role } }");
      expect(ok).toEqual({ data: { viewer: { role: "ADMIN" } } });
      await expect(wsExec(client, "query WsBroken { nope")).rejects.toBeDefined();
      const project = await must(api, `mutation { createProject(input: { slug: "metrics-wslog", name: "w" }) { id } }`);
      const bulk = await must(api, `mutation($id: ID!) { bulkSoftDelete(ids: [$id]) { id } }`, {
        id: project.createProject.id,
      });
      const events: unknown[] = [];
      await new Promise<void>((resolve, reject) =>
        client.subscribe(
          {
            query: `subscription WsProgress($id: ID!) { bulkOperationProgress(id: $id) { status } }`,
            variables: { id: bulk.bulkSoftDelete.id },
          },
          { next: (e) => void events.push(e), error: reject, complete: resolve },
        ),
      );
      const wsLines = () => logged.slice(from).filter((l) => l.msg === "operation" && l.transport === "websocket");
      await until(async () => wsLines().length >= 3, "three WebSocket log lines");
      const lines = wsLines();
      const named = (name: string | null) => lines.filter((l) => l.operationName === name);
      expect(named("WsViewer")).toHaveLength(1);
      expect(named("WsViewer")[0]).toMatchObject({
        level: 30,
        operationType: "query",
        organization: "demo",
        role: "ADMIN",
        events: 1,
        errorCodes: [],
      });
      expect(named("WsViewer")[0].subject).toMatch(/^[0-9a-f]{16}$/);
      expect(named("WsViewer")[0].requestId).toMatch(/^[0-9a-f-]{36}$/);
      // The refusal: no operation resolved, its code kept.
      expect(named(null)).toHaveLength(1);
      expect(named(null)[0]).toMatchObject({ operationType: null, events: 1, errorCodes: ["GRAPHQL_PARSE_FAILED"] });
      expect(named("WsProgress")).toHaveLength(1);
      expect(named("WsProgress")[0]).toMatchObject({ operationType: "subscription", events: events.length });
      expect(events.length).toBeGreaterThan(0);
      expect(events.at(-1)).toEqual({ data: { bulkOperationProgress: { status: "SUCCEEDED" } } });
      expect(JSON.stringify(lines)).not.toContain("ws-logger@demo.test");
      const after = await scrape();
      const d = (key: string) => v(after, key) - v(before, key);
      expect(d('graphql_requests_total{operation="WsViewer",type="query"}')).toBe(1);
      expect(d('graphql_requests_total{operation="WsProgress",type="subscription"}')).toBe(1);
      expect(d('graphql_requests_total{operation="unknown",type="unknown"}')).toBe(1);
      expect(d('graphql_errors_total{code="GRAPHQL_PARSE_FAILED"}')).toBe(1);
      expect(d('graphql_subscription_events_total{transport="websocket"}')).toBe(events.length);
      expect(d('graphql_subscriptions_active{transport="websocket"}')).toBe(0);
    } finally {
      await client.dispose();
    }
  });

  test("SSE: open streams and active subscriptions go up and back down; one log line per operation", async () => {
    const before = await scrape();
    const queued = await must(api, `mutation { createProject(input: { slug: "metrics-sse", name: "s" }) { id } }`).then(
      (r) => r.createProject.id,
    );
    await api.services.runner.stop();
    const bulk = await must(api, `mutation($id: ID!) { bulkSoftDelete(ids: [$id]) { id } }`, { id: queued });
    const client = sseClient(api.url, await api.auth("ADMIN", "demo", "sse-logger@demo.test"));
    try {
      expect(await sseResults(client, "query SseViewer { viewer { role } }")).toEqual([
        { data: { viewer: { role: "ADMIN" } } },
      ]);
      const events: unknown[] = [];
      const done = new Promise<void>((resolve, reject) =>
        client.subscribe(
          {
            query: `subscription SseProgress($id: ID!) { bulkOperationProgress(id: $id) { status } }`,
            variables: { id: bulk.bulkSoftDelete.id },
          },
          { next: (e) => void events.push(e), error: reject, complete: resolve },
        ),
      );
      await until(async () => events.length > 0, "the first progress event over SSE");
      const open = await scrape();
      expect(v(open, "graphql_sse_streams") - v(before, "graphql_sse_streams")).toBe(1);
      const subs = 'graphql_subscriptions_active{transport="sse"}';
      expect(v(open, subs) - v(before, subs)).toBe(1);
      api.services.runner.start();
      await done;
      await until(
        async () => v(await scrape(), "graphql_sse_streams") === v(before, "graphql_sse_streams"),
        "the event stream to close",
      );
      const after = await scrape();
      expect(v(after, subs)).toBe(v(before, subs));
      const d = (key: string) => v(after, key) - v(before, key);
      expect(d('graphql_requests_total{operation="SseViewer",type="query"}')).toBe(1);
      expect(d('graphql_requests_total{operation="SseProgress",type="subscription"}')).toBe(1);
      expect(d('graphql_subscription_events_total{transport="sse"}')).toBe(events.length);
      const lines = logged.filter((l) => l.msg === "operation" && l.transport === "sse");
      expect(lines.find((l) => l.operationName === "SseViewer")).toMatchObject({
        operationType: "query",
        role: "ADMIN",
        organization: "demo",
        events: 1,
        errorCodes: [],
      });
      expect(lines.find((l) => l.operationName === "SseProgress")).toMatchObject({
        operationType: "subscription",
        events: events.length,
      });
      expect(JSON.stringify(lines)).not.toContain("sse-logger@demo.test");
    } finally {
      api.services.runner.start();
      client.dispose();
    }
  });

  test(`pool gauges ${onPostgres ? "are exported on PostgreSQL" : "are left out on PGlite (no pool)"}`, async () => {
    const m = await scrape();
    if (onPostgres) {
      expect(m.get("db_pool_max")).toBeGreaterThan(0);
      expect(m.has("db_pool_size")).toBe(true);
      expect(m.has("db_pool_idle")).toBe(true);
      expect(m.get("db_pool_waiting")).toBe(0);
    } else expect(m.has("db_pool_max")).toBe(false);
  });
});

describe("Metrics", () => {
  test("operation names beyond the limit, and malformed ones, count as 'other'", () => {
    const m = new Metrics({ maxOperationNames: 2, processMetrics: false });
    expect(["A", "B", "C", "A", null, "x y", "B"].map((n) => m.operationLabel(n))).toEqual([
      "A",
      "B",
      "other",
      "A",
      "unnamed",
      "other",
      "B",
    ]);
  });

  test("replicas: reads served, fallbacks, lag and health per replica, read at scrape time", async () => {
    const status: ReplicaStatus[] = [
      { name: "r1:5432/app", state: "healthy", lagMs: 120, error: null, served: 7, fallbacks: 1 },
      { name: "r2:5432/app", state: "failing", lagMs: null, error: "down", served: 0, fallbacks: 0 },
    ];
    const m = new Metrics({ processMetrics: false });
    m.observePool({ kind: "postgres", replicas: { status: () => status } } as unknown as DatabaseHandle);
    const first = parse(await m.registry.metrics());
    expect(first.get('db_replica_reads_total{replica="r1:5432/app"}')).toBe(7);
    expect(first.get('db_replica_fallbacks_total{replica="r1:5432/app"}')).toBe(1);
    expect(first.get('db_replica_lag_seconds{replica="r1:5432/app"}')).toBe(0.12);
    expect(first.has('db_replica_lag_seconds{replica="r2:5432/app"}')).toBe(false);
    expect(first.get('db_replica_healthy{replica="r1:5432/app"}')).toBe(1);
    expect(first.get('db_replica_healthy{replica="r2:5432/app"}')).toBe(0);
    status[0] = { ...status[0]!, served: 9, state: "lagging", lagMs: 6000 };
    const second = parse(await m.registry.metrics());
    expect(second.get('db_replica_reads_total{replica="r1:5432/app"}')).toBe(9);
    expect(second.get('db_replica_healthy{replica="r1:5432/app"}')).toBe(0);
    expect(second.get('db_replica_lag_seconds{replica="r1:5432/app"}')).toBe(6);
  });

  test("process metrics, and METRICS_PORT: /metrics on a port of its own, nothing else there", async () => {
    const m = new Metrics();
    const served = await listenMetrics(m, 0, "127.0.0.1");
    try {
      const text = await (await fetch(served.url)).text();
      expect(text).toMatch(/^process_cpu_user_seconds_total /m);
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
      expect((await fetch(served.url.replace("/metrics", "/graphql"))).status).toBe(404);
    } finally {
      await served.close();
    }
  });
});
