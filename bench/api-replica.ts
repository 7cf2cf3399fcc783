/**
 * The replica part of `npm run bench:api` (run after bench/api.ts, on the database it seeded): read throughput of
 * the nested read with reads split to one streaming replica (DATABASE_REPLICA_URLS) vs. the same server reading from
 * the primary only.
 *
 * 1. Brings up the replica of the local PostgreSQL if it is not running (scripts/topology.sh up: 127.0.0.1:5433)
 *    and waits until it has replayed the seeded database.
 * 2. Starts the built server twice, one at a time, on `sdg_bench_api`: without and with the replica; alternates
 *    them (A B A B) so that load from elsewhere on the machine falls on both; autocannon drives each with READ
 *    (a page of 20 projects with 10 tasks each and counts) for BENCH_DURATION seconds after BENCH_WARMUP, with
 *    BENCH_CONNECTIONS connections (default 4). Every answer is checked (no GraphQL error, the same number of
 *    projects as the first answer).
 * 3. Reads the replica's served count from /readyz, so the table shows that reads did go to the replica.
 * 4. Writes the "## bench:api (one replica)" section of BENCHMARKS.md.
 *
 * Environment: BENCH_DATABASE_URL (the primary; default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_REPLICA_URL (default postgres://postgres@127.0.0.1:5433/postgres), BENCH_DURATION, BENCH_WARMUP,
 * BENCH_CONNECTIONS.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { signToken } from "../src/auth/token.js";
import { writeBenchmarkSection } from "./support/benchmarks-file.js";
import { databaseUrl, withClient } from "./support/databases.js";
import { envInt } from "./support/env.js";
import { ROOT, SERVER_ENTRY, startServer } from "./support/server.js";

const DATABASE = "sdg_bench_api";
const SECTION = "bench:api (one replica)";
/** A list page with one nested level and counts: the everyday read, lighter than (a)'s 10,000-row answer. */
const READ = `{ projects(first: 20) { totalCount edges { node { name tasks(first: 10) { totalCount edges { node { title } } } } } } }`;

const DURATION_S = envInt("BENCH_DURATION", 15, 1, 600);
const WARMUP_S = envInt("BENCH_WARMUP", 3, 0, 60);
const CONNECTIONS = envInt("BENCH_CONNECTIONS", 4, 1, 100);
const PRIMARY = databaseUrl(DATABASE);
const REPLICA = databaseUrl(
  DATABASE,
  process.env.BENCH_REPLICA_URL || "postgres://postgres@127.0.0.1:5433/postgres",
  "BENCH_REPLICA_URL",
);

interface CannonResult {
  requests: { total: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
  duration: number;
}
type Autocannon = (opts: Record<string, unknown>) => PromiseLike<CannonResult>;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const query = <T>(url: string, text: string, params: unknown[] = []): Promise<T[]> =>
  withClient(url, async (client) => (await client.query(text, params)).rows as T[]);

async function replicaCaughtUp(): Promise<void> {
  const answers = await query(REPLICA, "SELECT 1").then(
    () => true,
    () => false,
  );
  if (!answers) execFileSync("bash", [`${ROOT}scripts/topology.sh`, "up"], { stdio: "inherit" });
  const [{ lsn }] = (await query<{ lsn: string }>(PRIMARY, "SELECT pg_current_wal_lsn()::text AS lsn")) as [
    { lsn: string },
  ];
  for (const deadline = Date.now() + 120_000; ;) {
    const [row] = await query<{ ok: boolean }>(REPLICA, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok", [lsn]);
    if (row?.ok) return;
    if (Date.now() > deadline) throw new Error("the replica did not replay the seeded database within 120 s");
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function served(endpoint: URL): Promise<number> {
  const res = await fetch(new URL("/readyz", endpoint));
  const body = (await res.json()) as { replicas?: { served: number; state: string }[] };
  return body.replicas?.[0]?.served ?? 0;
}

interface Run {
  setup: string;
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  errors: number;
  replicaShare: number | null;
}

async function measure(setup: string, env: Record<string, string>, secret: string, token: string): Promise<Run> {
  const server = await startServer(PRIMARY, secret, { DATABASE_POOL_MAX: "10", ...env });
  try {
    const withReplica = "DATABASE_REPLICA_URLS" in env;
    if (withReplica)
      for (const deadline = Date.now() + 30_000; ;) {
        const body = (await (await fetch(new URL("/readyz", server.endpoint))).json()) as {
          replicas: { state: string }[];
        };
        if (body.replicas[0]?.state === "healthy") break;
        if (Date.now() > deadline) throw new Error(`the replica is not healthy: ${JSON.stringify(body)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    let projects: number | undefined;
    let failures = 0;
    const request = {
      method: "POST",
      path: server.endpoint.pathname,
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: READ }),
      onResponse: (status: number, raw: string) => {
        try {
          const body = JSON.parse(raw) as { data?: { projects: { edges: unknown[] } }; errors?: unknown[] };
          const n = body.data?.projects.edges.length;
          if (status !== 200 || body.errors || n === undefined || (projects !== undefined && n !== projects))
            failures++;
          projects ??= n;
        } catch {
          failures++;
        }
      },
    };
    const cannon = (seconds: number) =>
      autocannon({
        url: server.endpoint.toString(),
        connections: CONNECTIONS,
        duration: seconds,
        timeout: 120,
        requests: [request],
      });
    if (WARMUP_S) await cannon(WARMUP_S);
    failures = 0;
    const before = await served(server.endpoint);
    const r = await cannon(DURATION_S);
    const replicaReads = (await served(server.endpoint)) - before;
    return {
      setup,
      requests: r.requests.total,
      seconds: r.duration,
      p50: r.latency.p50,
      p99: r.latency.p99,
      errors: r.errors + r.non2xx + failures,
      // Each nested read is 4 statements or more; the share is of requests' worth of reads, roughly.
      replicaShare: withReplica ? replicaReads : null,
    };
  } finally {
    await server.stop();
  }
}

async function main() {
  if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first`);
  const [org] = await query<{ id: string }>(PRIMARY, "SELECT id FROM organizations WHERE slug = 'bench'").catch(
    () => [],
  );
  if (!org) throw new Error(`${DATABASE} has no organization "bench": run bench/api.ts first (npm run bench:api does)`);
  await replicaCaughtUp();
  const secret = randomBytes(32).toString("base64url");
  const token = await signToken({ sub: "bench@bench.test", role: "VIEWER", org: "bench" }, secret, 3_600_000);
  const setups: { setup: string; env: Record<string, string> }[] = [
    { setup: "primary only", env: {} },
    { setup: "reads split to one replica", env: { DATABASE_REPLICA_URLS: REPLICA, REPLICA_MAX_LAG_MS: "5000" } },
  ];
  const runs: Run[] = [];
  for (let round = 0; round < 2; round++)
    for (const s of setups) {
      const run = await measure(s.setup, s.env, secret, token);
      process.stdout.write(
        `${run.setup}: ${(run.requests / run.seconds).toFixed(1)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms, errors ${run.errors}` +
          (run.replicaShare === null ? "\n" : `, statements served by the replica ${run.replicaShare}\n`),
      );
      runs.push(run);
    }
  const version = (await query<{ server_version: string }>(PRIMARY, "SHOW server_version"))[0]?.server_version;
  const date = new Date().toISOString().slice(0, 10);
  const rows = setups.map(({ setup }) => {
    const mine = runs.filter((r) => r.setup === setup);
    const rate = mine.map((r) => r.requests / r.seconds);
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(" / ");
    const replica = mine[0]!.replicaShare === null ? "0" : mine.map((r) => r.replicaShare).join(" / ");
    return `| ${setup} | ${fmt(rate)} | ${mine.map((r) => r.p50).join(" / ")} | ${mine.map((r) => r.p99).join(" / ")} | ${replica} | ${mine.reduce((a, r) => a + r.errors, 0)} |`;
  });
  const section = [
    `## ${SECTION}`,
    "",
    `Command: \`npm run bench:api\` (its replica part, bench/api-replica.ts), ${date}, ` +
      `Node ${process.version}, PostgreSQL ${version}, ${os.cpus().length} cores, a machine shared with other work. ` +
      "A page of 20 projects, each with its first 10 tasks and both counts (`" +
      READ +
      "`), on the data set of " +
      `bench:api above, ${CONNECTIONS} connections, ${DURATION_S} s per run after ` +
      `${WARMUP_S} s of warm-up; the two setups alternate (A B A B) and each figure lists both runs. The replica is a ` +
      "streaming replica of the same PostgreSQL (scripts/topology.sh) **on the same machine and cores**: splitting " +
      "moves the database work of reads to another server process, not to other hardware, so this shows that reads " +
      "are split and what the routing costs, not the capacity a replica on its own machine adds.",
    "",
    "| setup | requests/s | p50 ms | p99 ms | statements served by the replica | errors |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
  const firstRun = { date, command: "npm run bench:api", nodeVersion: process.version, postgresVersion: `${version}` };
  if (await writeBenchmarkSection(SECTION, section, firstRun))
    process.stdout.write(`wrote the "${SECTION}" section of BENCHMARKS.md\n`);
}

await main();
