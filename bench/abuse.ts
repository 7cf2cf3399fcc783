/**
 * `npm run bench:abuse`: what one tenant flooding the server costs another tenant (issue 11). Tenant B (`acme`)
 * runs its typical traffic, a nested read in one loop and a task update in another, while tenant A (`demo`) floods
 * with the attacks issue 11 reported; B's p50/p99 are taken alone (baseline) and during each flood, first with the
 * server's limits at their defaults, then with the limits relaxed, which shows what the limits buy.
 *
 * 1. Creates the PostgreSQL database `sdg_bench_abuse` (dropped first), migrates it, lets the built server seed the
 *    demo organizations, and adds BENCH_ROWS tasks to one of A's projects (so A's counts have rows to count).
 * 2. Starts `dist/src/server/main.js` as a child (bench/support/server.ts) with the limits at their defaults
 *    (protected), then again with GRAPHQL_MAX_ALIASES, GRAPHQL_MAX_COST, GRAPHQL_MAX_DEPTH,
 *    WS_MAX_SUBSCRIPTIONS_PER_CONNECTION, MAX_SUBSCRIPTIONS_PER_SUBJECT and WS_MAX_SOCKETS_PER_ADDRESS at their
 *    maximums (relaxed; the 1 MB WebSocket frame cap has no setting and stays).
 * 3. Per server: B alone for BENCH_DURATION seconds, then each flood for as long (BENCH_FLOODERS loops of A, each
 *    repeating its attack as soon as the last one is answered), waiting after each until no statement of the
 *    flood is still running in PostgreSQL. A's answers are counted by code (HTTP status, `extensions.code`,
 *    WebSocket close code).
 * 4. Prints the table and writes it to the "## bench:abuse" section of BENCHMARKS.md.
 *
 * Environment: BENCH_DATABASE_URL (a PostgreSQL on this machine; default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_ROWS extra tasks of A (default 20000), BENCH_DURATION seconds per measurement (default 10), BENCH_FLOODERS
 * concurrent attack loops (default 4), BENCH_KEEP=1 keeps the database.
 */
import { setMaxListeners } from "node:events";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { signToken } from "../src/auth/token.js";
import { writeBenchmarkSection } from "./support/benchmarks-file.js";
import { createMigratedDatabase, dropDatabases, serverVersion, withClient } from "./support/databases.js";
import { envInt, loadAverageAtStart, sayer } from "./support/env.js";
import { memoryOf } from "./support/proc.js";
import { graphqlData, startServer, type Server } from "./support/server.js";
import { num, percentile } from "./support/stats.js";

// ------------------------------------------------------------------------------------------------ settings

const COMMAND = "npm run bench:abuse";
const DATABASE = "sdg_bench_abuse";
const SECRET = "bench-abuse-secret-bench-abuse-secret-0123";

const ROWS = envInt("BENCH_ROWS", 20_000, 0, 10_000_000);
const DURATION_S = envInt("BENCH_DURATION", 10, 1, 600);
const FLOODERS = envInt("BENCH_FLOODERS", 4, 1, 100);

const say = sayer("bench:abuse");

/** Every limit the flood meets, at its maximum: the server as it was before issue 11's limits. */
const RELAXED = {
  GRAPHQL_MAX_ALIASES: "10000",
  GRAPHQL_MAX_COST: "100000000",
  GRAPHQL_MAX_DEPTH: "100",
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: "10000",
  MAX_SUBSCRIPTIONS_PER_SUBJECT: "100000",
  WS_MAX_SOCKETS_PER_ADDRESS: "100000",
};

// ------------------------------------------------------------------------------------------------ B's traffic

/** README's nested read: projects → tasks → comments → author. */
const B_READ = `{ projects(first: 5) { totalCount edges { node { id name tasks(first: 3) { totalCount edges { node {
  id title comments { edges { node { body author { name } } } } } } } } } } }`;
const B_WRITE = `mutation($id: ID!, $t: String!) { updateTask(id: $id, input: { title: $t }) { id } }`;

interface Latencies {
  read: number[];
  write: number[];
  errors: number;
}

/** B's two loops until `stop`: a read after a read, an update after an update; latencies in ms. */
async function measureB(endpoint: URL, token: string, taskId: string, stop: Promise<void>): Promise<Latencies> {
  const out: Latencies = { read: [], write: [], errors: 0 };
  let done = false;
  void stop.then(() => (done = true));
  const loop = async (kind: "read" | "write") => {
    let n = 0;
    while (!done) {
      const body = kind === "read" ? { query: B_READ } : { query: B_WRITE, variables: { id: taskId, t: `B ${n++}` } };
      const t0 = performance.now();
      try {
        const res = await fetch(endpoint, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
        });
        const json = (await res.json()) as { errors?: unknown[] };
        if (res.status !== 200 || json.errors) out.errors++;
      } catch {
        out.errors++;
      }
      out[kind].push(performance.now() - t0);
    }
  };
  await Promise.all([loop("read"), loop("write")]);
  return out;
}

// ------------------------------------------------------------------------------------------------ A's floods

interface FloodContext {
  endpoint: URL;
  adminA: string;
  /** A finished bulk operation of A, for progress subscriptions. */
  finishedOp: string;
  count(outcome: string): void;
  signal: AbortSignal;
}

/** One attack, repeated by each flooder until the signal aborts. */
interface Flood {
  name: string;
  what: string;
  once(ctx: FloodContext): Promise<void>;
}

/** POSTs `query` as A's ADMIN and counts the answer: `ok`, the first error's code, or the HTTP status. */
async function postCounted(ctx: FloodContext, query: string): Promise<void> {
  try {
    const res = await fetch(ctx.endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ctx.adminA}` },
      body: JSON.stringify({ query }),
      signal: ctx.signal,
    });
    const text = await res.text();
    let code: string | undefined;
    try {
      code = (JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code;
    } catch {
      code = undefined;
    }
    ctx.count(code ?? (res.status === 200 ? "ok" : `HTTP ${res.status}`));
  } catch {
    ctx.count(ctx.signal.aborted ? "unanswered when the flood stopped" : "transport error");
  }
}

const aliases = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(" ")} }`;

/** projects → tasks → project → tasks … `levels` times: each level adds two to the depth. */
function deepQuery(levels: number): string {
  let inner = "id";
  for (let i = 0; i < levels; i++) inner = `tasks(first: 5) { edges { node { id project { ${inner} } } } }`;
  return `{ projects(first: 5) { edges { node { ${inner} } } } }`;
}

/** Opens a graphql-ws socket as A and runs `n` progress subscriptions on it at once; counts each one's end. */
async function subscriptionFlood(ctx: FloodContext, n: number): Promise<void> {
  const client = createClient({
    url: ctx.endpoint.toString().replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: { authorization: `Bearer ${ctx.adminA}` },
    onNonLazyError: () => {},
  });
  const query = `subscription($id: ID!) { bulkOperationProgress(id: $id) { status processed } }`;
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve) => {
          let failed = false;
          client.subscribe(
            { query, variables: { id: ctx.finishedOp } },
            {
              next: (r) => {
                const code = (r.errors?.[0]?.extensions as { code?: string } | undefined)?.code;
                if (code) {
                  failed = true;
                  ctx.count(code);
                }
              },
              error: (err) => {
                failed = true;
                // graphql-ws hands over an operation's GraphQL errors as an array, a closed socket as its event.
                const code = Array.isArray(err)
                  ? (err[0] as { extensions?: { code?: string } } | undefined)?.extensions?.code
                  : (err as { code?: number })?.code;
                ctx.count(typeof code === "number" ? `WebSocket close ${code}` : (code ?? "subscription error"));
                resolve();
              },
              complete: () => {
                if (!failed) ctx.count("ok");
                resolve();
              },
            },
          );
        }),
    ),
  );
  await client.dispose();
}

/** A raw WebSocket that sends a `bytes`-long connection_init; counts how the server answered. */
function bigInit(ctx: FloodContext, bytes: number): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(ctx.endpoint.toString().replace(/^http/, "ws"), "graphql-transport-ws");
    let ended = false;
    const end = (outcome: string) => {
      if (ended) return;
      ended = true;
      ctx.count(outcome);
      ws.removeAllListeners();
      ws.on("error", () => {});
      ws.terminate();
      resolve();
    };
    ws.on("unexpected-response", (_req, res) => end(`HTTP ${res.statusCode}`));
    ws.on("open", () =>
      ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: "x".repeat(bytes) } })),
    );
    ws.on("message", () => end("accepted"));
    ws.on("close", (code) => end(`WebSocket close ${code}`));
    ws.on("error", () => end("socket error"));
    ctx.signal.addEventListener("abort", () => end("unanswered when the flood stopped"), { once: true });
  });
}

const FLOODS: Flood[] = [
  {
    name: "3,300 aliases of a count",
    what: "`{ a0: tasks(first: 0) { totalCount } … a3299: … }`",
    once: (ctx) => postCounted(ctx, aliases(3300, "tasks(first: 0) { totalCount }")),
  },
  {
    name: "100 aliases of a count",
    what: "the same with 100 aliases: as many as GRAPHQL_MAX_ALIASES allows",
    once: (ctx) => postCounted(ctx, aliases(100, "tasks(first: 0) { totalCount }")),
  },
  {
    name: "200 aliases of healthReport",
    what: "`{ a0: healthReport { durationMs } … }`",
    once: (ctx) => postCounted(ctx, aliases(200, "healthReport { durationMs }")),
  },
  {
    name: "deep query",
    what: "projects → tasks → project → … 8 levels of `tasks(first: 5)` (depth 27)",
    once: (ctx) => postCounted(ctx, deepQuery(8)),
  },
  {
    name: "2,000 subscriptions on one socket",
    what: "`bulkOperationProgress` of a finished operation, 2,000 at once on one WebSocket",
    once: (ctx) => subscriptionFlood(ctx, 2000),
  },
  {
    name: "4 MB connection_init frames",
    what: "10 WebSockets per flooder at once, each sending a 4 MB `connection_init`",
    once: async (ctx) => void (await Promise.all(Array.from({ length: 10 }, () => bigInit(ctx, 4 << 20)))),
  },
];

// ------------------------------------------------------------------------------------------------ the runs

interface Measurement {
  flood: string;
  b: Latencies;
  /** A's answers by outcome. */
  a: Map<string, number>;
  maxRssMb: number;
}

/** Waits until no statement other than the monitor's runs in the bench database (at most 120 s). */
async function settle(url: string): Promise<void> {
  await withClient(url, async (monitor) => {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const { rows } = await monitor.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND backend_type = 'client backend'
           AND query NOT LIKE 'LISTEN%'`,
      );
      if (rows[0]!.n === 0) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    say("warning: statements of the last flood still ran after 120 s");
  });
}

async function measure(
  server: Server,
  url: string,
  tokens: { adminA: string; editorB: string },
  ids: { taskB: string; finishedOp: string },
  flood: Flood | undefined,
): Promise<Measurement> {
  let maxRss = 0;
  const sampler = setInterval(() => {
    const m = memoryOf(server.child.pid!);
    if (m) maxRss = Math.max(maxRss, m.rss);
  }, 200);
  // A floods from a thread of its own: its event loop never delays B's requests in this one (both share the cores,
  // as an attacker's machine would not; that is on the conservative side for B).
  const worker = flood
    ? new Worker(new URL(import.meta.url), {
        workerData: { flood: flood.name, endpoint: server.endpoint.toString(), adminA: tokens.adminA, ...ids },
      })
    : undefined;
  // The thread says "flooding" once its modules are loaded (seconds on a busy machine), then its answers at the end.
  const messages: unknown[] = [];
  let wake = () => {};
  worker?.on("message", (m) => {
    messages.push(m);
    wake();
  });
  const nextMessage = async () => {
    while (!messages.length) await new Promise<void>((r) => (wake = r));
    return messages.shift();
  };
  const failed = new Promise<never>((_, reject) => worker?.once("error", reject));
  failed.catch(() => {});
  if (worker) await Promise.race([nextMessage(), failed]);
  const stop = new Promise<void>((r) => setTimeout(r, DURATION_S * 1000));
  const b = await measureB(server.endpoint, tokens.editorB, ids.taskB, stop);
  worker?.postMessage("stop");
  const a = new Map(worker ? ((await Promise.race([nextMessage(), failed])) as [string, number][]) : []);
  await worker?.terminate();
  clearInterval(sampler);
  await settle(url);
  return { flood: flood?.name ?? "none (baseline)", b, a, maxRssMb: maxRss / 2 ** 20 };
}

async function seed(url: string): Promise<void> {
  // The server seeds the demo organizations on an empty database; then A gets its extra tasks.
  const seeding = await startServer(url, SECRET, { SEED_DEMO: "true" });
  await seeding.stop();
  await withClient(url, async (c) => {
    await c.query("SET jit = off");
    await c.query(
      `INSERT INTO tasks (organization_id, project_id, title, created_by, updated_by)
       SELECT p.organization_id, p.id, 'flood ' || g, 'bench', 'bench'
       FROM (SELECT p.* FROM projects p JOIN organizations o ON o.id = p.organization_id
             WHERE o.slug = 'demo' AND p.deleted_at IS NULL ORDER BY p.created_at LIMIT 1) p, generate_series(1, $1) g`,
      [ROWS],
    );
    await c.query("VACUUM ANALYZE tasks");
  });
}

function row(m: Measurement, config: string, baseline: Measurement | undefined): string {
  const ms = (v: number) => (Number.isNaN(v) ? "–" : num(v, v < 100 ? 1 : 0));
  const p = (v: number[], q: number) => percentile(v, q);
  const ratio = baseline && m !== baseline ? ` (${num(p(m.b.read, 50) / p(baseline.b.read, 50), 1)}×)` : "";
  const outcomes = [...m.a]
    .sort(([, x], [, y]) => y - x)
    .map(([k, n]) => `${k} ${num(n)}`)
    .join(", ");
  return (
    `| ${config} | ${m.flood} | ${ms(p(m.b.read, 50))}${ratio} | ${ms(p(m.b.read, 99))} | ${ms(p(m.b.write, 50))} | ` +
    `${ms(p(m.b.write, 99))} | ${num(m.b.read.length + m.b.write.length)} | ${m.b.errors} | ${outcomes || "–"} | ` +
    `${num(m.maxRssMb)} |`
  );
}

async function main() {
  const loadAverage = loadAverageAtStart(say);
  const url = await createMigratedDatabase(DATABASE);
  say(`seeding: the demo, plus ${num(ROWS)} tasks in one of A's projects`);
  await seed(url);
  const postgresVersion = await withClient(url, serverVersion);
  const token = (sub: string, role: "ADMIN" | "EDITOR", org: string) =>
    signToken({ sub, role, org }, SECRET, 3_600_000);
  const tokens = {
    adminA: await token("admin@demo.test", "ADMIN", "demo"),
    editorB: await token("editor@acme.test", "EDITOR", "acme"),
  };

  const results: { config: string; measurements: Measurement[] }[] = [];
  let ids: { taskB: string; finishedOp: string } | undefined;
  for (const [config, env] of [
    ["protected (defaults)", {}],
    ["relaxed", RELAXED],
  ] as const) {
    const server = await startServer(url, SECRET, { ...env });
    try {
      if (!ids) ids = await prepare(server, tokens);
      const measurements: Measurement[] = [];
      for (const flood of [undefined, ...FLOODS]) {
        say(`${config}: ${flood?.name ?? "baseline"} for ${DURATION_S} s`);
        const m = await measure(server, url, tokens, ids, flood);
        say(
          `  B read p50 ${num(percentile(m.b.read, 50), 1)} ms p99 ${num(percentile(m.b.read, 99), 1)} ms; ` +
            `A ${JSON.stringify(Object.fromEntries(m.a))}`,
        );
        measurements.push(m);
      }
      results.push({ config, measurements });
      if (server.child.exitCode !== null) throw new Error(`the ${config} server exited with ${server.child.exitCode}`);
    } finally {
      await server.stop();
    }
  }

  const lines = [
    "## bench:abuse",
    "",
    `Run on ${new Date().toISOString().slice(0, 10)} with \`${COMMAND}\`: Node ${process.version.slice(1)}, PostgreSQL ` +
      `${postgresVersion}, ${os.cpus().length} cores / ${Math.round(os.totalmem() / 2 ** 30)} GiB, 1-minute load ` +
      `average ${num(loadAverage, 1)} at the start. Bench, server and PostgreSQL share the machine's cores.`,
    "",
    `Tenant B (\`acme\`, EDITOR) runs two loops: README's nested read (projects → tasks → comments → author) and an ` +
      `\`updateTask\`, each sent as soon as the last one is answered. Tenant A (\`demo\`, ADMIN; the demo seed plus ` +
      `${num(ROWS)} tasks in one project) floods with ${FLOODERS} loops doing the same. Each line is ${DURATION_S} s; ` +
      `after each flood the bench waits until none of its statements runs any more. "Protected" is the server with ` +
      `its defaults; "relaxed" sets ${Object.entries(RELAXED)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ")} (what the server allowed before issue 11; the 1 MB WebSocket frame cap has no setting). ` +
      `Latencies in ms; the factor is B's read p50 over its baseline. A's answers are counted by \`extensions.code\`, ` +
      `HTTP status or WebSocket close code; "unanswered when the flood stopped" are the requests still running when the line ended (each flooder has one in flight at a time).`,
    "",
    "The floods:",
    "",
    ...FLOODS.map((f) => `- ${f.name}: ${f.what}.`),
    "",
    "| server | A's flood | B read p50 | B read p99 | B write p50 | B write p99 | B requests | B errors | A's answers | server RSS max (MB) |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ...results.flatMap(({ config, measurements }) => measurements.map((m) => row(m, config, measurements[0]))),
  ];
  const section = lines.join("\n");
  process.stdout.write(`${section}\n`);
  await writeBenchmarkSection("bench:abuse", section, {
    date: new Date().toISOString().slice(0, 10),
    command: COMMAND,
    nodeVersion: process.version.slice(1),
    postgresVersion,
  });
  if (process.env.BENCH_KEEP !== "1") await dropDatabases(DATABASE);
}

/** B's task to update, and a finished bulk operation of A for the subscription flood. */
async function prepare(server: Server, tokens: { adminA: string; editorB: string }) {
  const { tasks } = await graphqlData<{ tasks: { edges: { node: { id: string } }[] } }>(
    server.endpoint,
    tokens.editorB,
    `{ tasks(first: 1) { edges { node { id } } } }`,
  );
  const { users } = await graphqlData<{ users: { edges: { node: { id: string } }[] } }>(
    server.endpoint,
    tokens.adminA,
    `{ users(first: 1) { edges { node { id } } } }`,
  );
  // A bulk operation that finds nothing to do ends at once: a finished operation to subscribe to.
  const { bulkSoftDelete } = await graphqlData<{ bulkSoftDelete: { id: string } }>(
    server.endpoint,
    tokens.adminA,
    `mutation($u: ID!) { bulkSoftDelete(filter: { type: Comment, authorId: $u, createdBefore: "2000-01-01T00:00:00Z" }) { id } }`,
    { u: users.edges[0]!.node.id },
  );
  for (;;) {
    const { bulkOperation } = await graphqlData<{ bulkOperation: { status: string } }>(
      server.endpoint,
      tokens.adminA,
      `query($id: ID!) { bulkOperation(id: $id) { status } }`,
      { id: bulkSoftDelete.id },
    );
    if (["SUCCEEDED", "FAILED", "CANCELLED"].includes(bulkOperation.status)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { taskB: tasks.edges[0]!.node.id, finishedOp: bulkSoftDelete.id };
}

/** The flood's thread: FLOODERS loops of one attack until the main thread says stop; then A's answers. */
async function floodThread(): Promise<void> {
  const data = workerData as { flood: string; endpoint: string; adminA: string; finishedOp: string };
  const flood = FLOODS.find((f) => f.name === data.flood)!;
  const a = new Map<string, number>();
  const abort = new AbortController();
  const ctx: FloodContext = {
    endpoint: new URL(data.endpoint),
    adminA: data.adminA,
    finishedOp: data.finishedOp,
    count: (o) => void a.set(o, (a.get(o) ?? 0) + 1),
    signal: abort.signal,
  };
  setMaxListeners(0, abort.signal); // each open socket of a flood listens for the stop
  parentPort!.once("message", () => abort.abort());
  parentPort!.postMessage("flooding");
  await Promise.all(
    Array.from({ length: FLOODERS }, async () => {
      while (!abort.signal.aborted) await flood.once(ctx).catch(() => ctx.count("flooder error"));
    }),
  );
  parentPort!.postMessage([...a]);
}

if (!isMainThread) void floodThread();
else
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
