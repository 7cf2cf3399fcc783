/**
 * `npm run bench:api`: throughput and latency of the GraphQL API over HTTP on a realistic soft-delete data set,
 * next to the same read written as plain SQL and sent through node-postgres.
 *
 * 1. Creates the PostgreSQL database `sdg_bench_api` (dropped first), migrates it and seeds it with set-based SQL
 *    (generate_series, fixed random seed), about 10% of every soft-deletable table deleted, then VACUUM ANALYZE.
 * 2. Starts the built server (`dist/src/server/main.js`: run `npm run build` first) as a child process on
 *    127.0.0.1, so the load generator never shares the server's event loop.
 * 3. Starts a second instance with READ_COMPILER=off (the resolvers and their DataLoaders), a third with
 *    ROW_LEVEL_SECURITY=false (what row-level security costs a read), and the peer, PostGraphile
 *    v4 + @graphile-contrib/pg-omit-archived (bench/peers/postgraphile, its own package.json and lockfile, installed
 *    there with `npm ci` on first run; not a dependency of the server), all on the same database.
 * 4. Reads side by side, in BENCH_ROUNDS alternating rounds (every read once per round, in turn, so the load of other
 *    processes on a shared machine falls on all alike): the spec's nested read projects → tasks → comments → author
 *    through this server, PostGraphile, hand-written SQL (set-based, through a pg pool), READ_COMPILER=off and
 *    ROW_LEVEL_SECURITY=false; then the 10 × 10 × 10 page with totalCount at each level and the author's name through
 *    this server, PostGraphile, READ_COMPILER=off and ROW_LEVEL_SECURITY=false. Every answer is checked against the shape of this server's answer.
 * 5. softDelete/restore pairs through this server, each pair on a task no other pair touches.
 *    Every response is checked: a GraphQL error counts as an error even when the HTTP status is 200.
 * 6. Prints the tables and writes them to the "## bench:api" section of BENCHMARKS.md.
 *
 * Invariant of the data set, checked after seeding and again after (b): no live row under a deleted parent over a
 * CASCADE relation, and no live project led by a deleted user.
 *
 * Environment: BENCH_DATABASE_URL (a PostgreSQL on this machine; default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_DURATION seconds of the write phase (default 15), BENCH_READ_DURATION seconds per read and round (default 10),
 * BENCH_ROUNDS (default 3), BENCH_WARMUP seconds (default 3), BENCH_CONNECTIONS (default 10).
 */
import { writeBenchmarkSection } from "./support/benchmarks-file.js";
import { checkConsistency } from "./support/consistency.js";
import { beginSeed, createMigratedDatabase, serverVersion } from "./support/databases.js";
import { envInt, loadAverageAtStart, sayer } from "./support/env.js";
import { cpuDelta, cpuSnapshot, procAvailable } from "./support/proc.js";
import { awaitListening, postGraphql, ROOT, type Server, startServer } from "./support/server.js";
import { median, num } from "./support/stats.js";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { signToken } from "../src/auth/token.js";
import { MODEL } from "../src/domain/model.js";
import { toGlobalId } from "../src/graphql/ids.js";

// ------------------------------------------------------------------------------------------------ settings

const SECTION = "## bench:api";
const COMMAND = "npm run bench:api";
const DATABASE = "sdg_bench_api";
const ORG_SLUG = "bench";
const SUBJECT = "bench@bench.test";

const SIZES = { users: 500, projects: 200, tasks: 20_000, comments: 100_000, assignments: 20_000 };
/** Share of each table that ends up deleted, and the share that goes to rows whose parent is deleted. */
const DELETED_SHARE = 0.1;
const UNDER_DELETED_PARENT_SHARE = 0.05;
const REPLY_SHARE = 0.25;

const DURATION_S = envInt("BENCH_DURATION", 15, 1, 600);
/** Rounds of the side-by-side reads; each round runs every read workload once, in turn. */
const ROUNDS = envInt("BENCH_ROUNDS", 3, 1, 20);
/** Seconds per read workload and round. */
const READ_DURATION_S = envInt("BENCH_READ_DURATION", 10, 1, 600);
const WARMUP_S = envInt("BENCH_WARMUP", 3, 0, 60);
const CONNECTIONS = envInt("BENCH_CONNECTIONS", 10, 1, 100);
const say = sayer("bench:api");

// ------------------------------------------------------------------------------------------------ autocannon

/** The part of autocannon's programmatic API used here (the package ships no types). */
interface CannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: CannonRequest, context: CannonContext) => CannonRequest;
  onResponse?: (status: number, body: string, context: CannonContext) => void;
}
type CannonContext = Record<string, unknown>;
interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  throughput: { average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  /** Seconds without a response before a request counts as an error. */
  timeout: number;
  requests: CannonRequest[];
}) => PromiseLike<CannonResult>;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

// ------------------------------------------------------------------------------------------------ seed

/**
 * Set-based seed of one organization. `UNDER_DELETED_PARENT_SHARE` of each child table hangs under deleted parents
 * and is deleted with the parent's operation (as a cascade would have); rows under live parents are deleted on
 * their own until about `DELETED_SHARE` of each table is deleted. A reply answers the comment just before it on the
 * same task, and a deleted comment takes the rest of its reply chain with it. Deletions happen in the last 30 days,
 * after every row was created.
 */
function seedStatements(): string[] {
  const s = SIZES;
  const underDeleted = (n: number) => Math.round(n * UNDER_DELETED_PARENT_SHARE);
  const ownShare = (n: number) => (n * DELETED_SHARE - underDeleted(n)) / (n - underDeleted(n));
  const deletion = (when: string, reason: string) => `
    CASE WHEN ${when} THEN now() - random() * interval '30 days' END,
    CASE WHEN ${when} THEN 'seed@bench.test' END,
    CASE WHEN ${when} THEN '${reason}' END,
    CASE WHEN ${when} THEN gen_random_uuid() END`;
  return [
    `SELECT setseed(0.4242)`,
    `INSERT INTO users (organization_id, email, name, created_at, updated_at, created_by, updated_by,
       deleted_at, deleted_by, deletion_reason, deletion_operation_id)
     SELECT $1, 'user' || i || '@bench.test', 'User ' || i, at, at, 'seed', 'seed', ${deletion("del", "left the organization")}
     FROM (SELECT i, i % ${Math.round(1 / DELETED_SHARE)} = 0 AS del,
             now() - interval '400 days' + i * interval '1 minute' AS at
           FROM generate_series(1, ${s.users}) AS i) g`,
    `WITH live AS (
       SELECT id, row_number() OVER (ORDER BY created_at) AS n, count(*) OVER () AS total
       FROM users WHERE organization_id = $1 AND deleted_at IS NULL)
     INSERT INTO projects (organization_id, slug, name, description, lead_id, created_at, updated_at, created_by,
       updated_by, deleted_at, deleted_by, deletion_reason, deletion_operation_id)
     SELECT $1, 'project-' || p, 'Project ' || p, 'What project ' || p || ' is about.', live.id, at, at, 'seed', 'seed',
       ${deletion("del", "cancelled")}
     FROM (SELECT p, p % ${Math.round(1 / DELETED_SHARE)} = 0 AS del,
             now() - interval '390 days' + p * interval '1 hour' AS at
           FROM generate_series(1, ${s.projects}) AS p) g
     LEFT JOIN live ON g.p % 7 <> 0 AND live.n = 1 + (g.p * 37) % live.total`,
    // Tasks: the first slots go to deleted projects (deleted with them), the rest to live ones.
    `WITH parents AS (
       SELECT id, created_at, deleted_at, deletion_operation_id, deletion_reason, deleted_at IS NOT NULL AS del,
         row_number() OVER (PARTITION BY deleted_at IS NOT NULL ORDER BY created_at) AS n
       FROM projects WHERE organization_id = $1),
     counts AS (SELECT count(*) FILTER (WHERE del) AS d, count(*) FILTER (WHERE NOT del) AS l FROM parents),
     slots AS (
       SELECT k, k <= ${underDeleted(s.tasks)} AS del,
         1 + floor(random() * CASE WHEN k <= ${underDeleted(s.tasks)} THEN d ELSE l END)::int AS n,
         random() AS r_at, random() < ${ownShare(s.tasks)} AS own_del, random() AS r_status
       FROM generate_series(1, ${s.tasks}) AS k, counts)
     INSERT INTO tasks (organization_id, project_id, title, description, status, created_at, updated_at, created_by,
       updated_by, deleted_at, deleted_by, deletion_reason, deletion_operation_id)
     SELECT $1, p.id, 'Task ' || k, 'Details of task ' || k, (ARRAY['TODO', 'IN_PROGRESS', 'DONE'])[1 + floor(r_status * 3)::int],
       p.created_at + r_at * interval '300 days', p.created_at + r_at * interval '300 days', 'seed', 'seed',
       CASE WHEN p.del THEN p.deleted_at WHEN own_del THEN now() - random() * interval '30 days' END,
       CASE WHEN p.del OR own_del THEN 'seed@bench.test' END,
       CASE WHEN p.del THEN p.deletion_reason WHEN own_del THEN 'duplicate' END,
       CASE WHEN p.del THEN p.deletion_operation_id WHEN own_del THEN gen_random_uuid() END
     FROM slots JOIN parents p ON p.del = slots.del AND p.n = slots.n`,
    // Comments, replies and reply chains are computed before the one INSERT (FKs are checked at its end).
    `WITH parents AS (
       SELECT id, created_at, deleted_at, deletion_operation_id, deletion_reason, deleted_at IS NOT NULL AS del,
         row_number() OVER (PARTITION BY deleted_at IS NOT NULL ORDER BY created_at, id) AS n
       FROM tasks WHERE organization_id = $1),
     counts AS (SELECT count(*) FILTER (WHERE del) AS d, count(*) FILTER (WHERE NOT del) AS l FROM parents),
     authors AS (SELECT id, row_number() OVER (ORDER BY created_at) AS n FROM users WHERE organization_id = $1),
     slots AS (
       SELECT k, k <= ${underDeleted(s.comments)} AS del,
         1 + floor(random() * CASE WHEN k <= ${underDeleted(s.comments)} THEN d ELSE l END)::int AS n,
         1 + floor(random() * ${s.users})::int AS author_n, random() AS r_at, random() AS r_reply,
         random() < ${ownShare(s.comments) / (1 + REPLY_SHARE / (1 - REPLY_SHARE))} AS own_del, random() AS r_len
       FROM generate_series(1, ${s.comments}) AS k, counts),
     placed AS (
       SELECT gen_random_uuid() AS id, slots.k, slots.r_reply, slots.own_del AND NOT p.del AS own_del, slots.r_len,
         p.id AS task_id, p.created_at + slots.r_at * interval '40 days' AS created_at, a.id AS author_id,
         p.deleted_at AS task_deleted_at, p.deletion_operation_id AS task_op, p.deletion_reason AS task_reason,
         CASE WHEN slots.own_del AND NOT p.del THEN now() - random() * interval '30 days' END AS own_at,
         CASE WHEN slots.own_del AND NOT p.del THEN gen_random_uuid() END AS own_op
       FROM slots JOIN parents p ON p.del = slots.del AND p.n = slots.n JOIN authors a ON a.n = slots.author_n),
     replies AS (
       SELECT *, CASE WHEN row_number() OVER w > 1 AND r_reply < ${REPLY_SHARE} THEN lag(id) OVER w END AS parent_id
       FROM placed WINDOW w AS (PARTITION BY task_id ORDER BY created_at, id)),
     threads AS (
       SELECT *, count(*) FILTER (WHERE parent_id IS NULL) OVER (PARTITION BY task_id ORDER BY created_at, id) AS thread
       FROM replies),
     chained AS (
       SELECT *, (array_agg(own_at) FILTER (WHERE own_op IS NOT NULL) OVER t)[1] AS chain_at,
         (array_agg(own_op) FILTER (WHERE own_op IS NOT NULL) OVER t)[1] AS chain_op
       FROM threads WINDOW t AS (PARTITION BY task_id, thread ORDER BY created_at, id))
     INSERT INTO comments (id, organization_id, task_id, author_id, parent_id, body, created_at, updated_at, created_by,
       updated_by, deleted_at, deleted_by, deletion_reason, deletion_operation_id)
     SELECT id, $1, task_id, author_id, parent_id,
       'Comment ' || k || ': ' || repeat('lorem ipsum dolor sit amet ', 1 + floor(r_len * 12)::int),
       created_at, created_at, 'seed', 'seed', coalesce(task_deleted_at, chain_at),
       CASE WHEN coalesce(task_op, chain_op) IS NOT NULL THEN 'seed@bench.test' END,
       CASE WHEN task_op IS NOT NULL THEN task_reason WHEN chain_op IS NOT NULL THEN 'off topic' END,
       coalesce(task_op, chain_op)
     FROM chained`,
    // Assignments: distinct (task, user) pairs; deleted with whichever of task and user was deleted first.
    `WITH t AS (
       SELECT id, created_at, deleted_at, deletion_operation_id, deletion_reason, deleted_at IS NOT NULL AS del,
         row_number() OVER (PARTITION BY deleted_at IS NOT NULL ORDER BY created_at, id) AS n
       FROM tasks WHERE organization_id = $1),
     u AS (
       SELECT id, deleted_at, deletion_operation_id, deletion_reason, deleted_at IS NOT NULL AS del,
         row_number() OVER (PARTITION BY deleted_at IS NOT NULL ORDER BY created_at) AS n
       FROM users WHERE organization_id = $1),
     counts AS (
       SELECT (SELECT count(*) FILTER (WHERE del) FROM t) AS td, (SELECT count(*) FILTER (WHERE NOT del) FROM t) AS tl,
         (SELECT count(*) FILTER (WHERE del) FROM u) AS ud, (SELECT count(*) FILTER (WHERE NOT del) FROM u) AS ul),
     slots AS (
       SELECT k, td_pick AS t_del, ud_pick AS u_del,
         1 + floor(random() * CASE WHEN td_pick THEN td ELSE tl END)::int AS tn,
         1 + floor(random() * CASE WHEN ud_pick THEN ud ELSE ul END)::int AS un, random() AS r_at
       FROM (SELECT k, random() < ${UNDER_DELETED_PARENT_SHARE} AS td_pick, random() < ${UNDER_DELETED_PARENT_SHARE} AS ud_pick
             FROM generate_series(1, ${Math.round(s.assignments * 1.05)}) AS k) g, counts),
     pairs AS (
       SELECT DISTINCT ON (t.id, u.id) slots.k, slots.r_at, t.id AS task_id, u.id AS user_id,
         CASE WHEN t.del AND (NOT u.del OR t.deleted_at <= u.deleted_at) THEN 't' WHEN u.del THEN 'u' END AS via,
         t.created_at AS t_created, t.deleted_at AS t_at, t.deletion_operation_id AS t_op, t.deletion_reason AS t_reason,
         u.deleted_at AS u_at, u.deletion_operation_id AS u_op, u.deletion_reason AS u_reason
       FROM slots JOIN t ON t.del = slots.t_del AND t.n = slots.tn JOIN u ON u.del = slots.u_del AND u.n = slots.un
       ORDER BY t.id, u.id, slots.k)
     INSERT INTO task_assignments (organization_id, task_id, user_id, created_at, updated_at, created_by, updated_by,
       deleted_at, deleted_by, deletion_reason, deletion_operation_id)
     SELECT $1, task_id, user_id, t_created + r_at * interval '20 days', t_created + r_at * interval '20 days', 'seed',
       'seed', CASE via WHEN 't' THEN t_at WHEN 'u' THEN u_at END, CASE WHEN via IS NOT NULL THEN 'seed@bench.test' END,
       CASE via WHEN 't' THEN t_reason WHEN 'u' THEN u_reason END, CASE via WHEN 't' THEN t_op WHEN 'u' THEN u_op END
     FROM (SELECT * FROM pairs ORDER BY k LIMIT ${s.assignments}) chosen`,
  ];
}

interface TableSize {
  table: string;
  rows: number;
  live: number;
  deleted: number;
  bytes: number;
}

async function tableSizes(client: pg.ClientBase): Promise<{ tables: TableSize[]; databaseBytes: number }> {
  const tables: TableSize[] = [];
  for (const { tableName: table } of MODEL.types.values()) {
    const { rows } = await client.query<{ rows: number; live: number; bytes: string }>(
      `SELECT count(*)::int AS rows, count(*) FILTER (WHERE deleted_at IS NULL)::int AS live,
         pg_total_relation_size($1::regclass) AS bytes FROM ${table}`,
      [table],
    );
    const r = rows[0]!;
    tables.push({ table, rows: r.rows, live: r.live, deleted: r.rows - r.live, bytes: Number(r.bytes) });
  }
  const { rows } = await client.query<{ bytes: string }>(`SELECT pg_database_size(current_database()) AS bytes`);
  return { tables, databaseBytes: Number(rows[0]!.bytes) };
}

async function createDatabase(): Promise<{ url: string; orgId: string; seedSeconds: number }> {
  const url = await createMigratedDatabase(DATABASE);
  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const orgId = await beginSeed(client, { slug: ORG_SLUG, name: "Bench" }, { work_mem: "64MB" });
    for (const statement of seedStatements()) await client.query(statement, statement.includes("$1") ? [orgId] : []);
    await client.query("COMMIT");
    await client.query("VACUUM (ANALYZE)");
    await checkConsistency(client, "after seeding");
    return { url, orgId, seedSeconds: (performance.now() - started) / 1000 };
  } finally {
    await client.end();
  }
}

// ------------------------------------------------------------------------------------------------ the read

/** The nested read of the spec, as written there (relation fields default to first: 20). */
const NESTED_READ = `{ projects(first: 50) { edges { node { tasks { edges { node { comments { edges { node { author { id } } } } } } } } } } }`;

interface ReadCounts {
  projects: number;
  tasks: number;
  comments: number;
  /** Comments whose author resolves (is live); the rest show `author: null`. */
  authors: number;
}

/** The global ids of the resolved authors, sorted: a fingerprint of which rows a read returned. */
type AuthorIds = string[];

interface Edges<T> {
  edges: { node: T }[];
}
interface NestedReadData {
  projects: Edges<{ tasks: Edges<{ comments: Edges<{ author: { id: string } | null }> }> }>;
}

function countGraphql(data: NestedReadData, authorIds?: AuthorIds): ReadCounts {
  const counts: ReadCounts = { projects: 0, tasks: 0, comments: 0, authors: 0 };
  for (const { node: project } of data.projects.edges) {
    counts.projects++;
    for (const { node: task } of project.tasks.edges) {
      counts.tasks++;
      for (const { node: comment } of task.comments.edges) {
        counts.comments++;
        if (comment.author) {
          counts.authors++;
          authorIds?.push(comment.author.id);
        }
      }
    }
  }
  authorIds?.sort();
  return counts;
}

const sameCounts = (a: ReadCounts, b: ReadCounts) =>
  a.projects === b.projects && a.tasks === b.tasks && a.comments === b.comments && a.authors === b.authors;

/**
 * The read of NESTED_READ as hand-written set-based SQL: one statement per level, each batched over all parents,
 * `deleted_at IS NULL` at every level, keyset order (created_at, id) and at most 20 children per parent, only the
 * columns the answer needs. Same rows as the API returns.
 */
async function sqlRead(client: pg.ClientBase, orgId: string, authorIds?: AuthorIds): Promise<ReadCounts> {
  const projects = await client.query<{ id: string }>(
    `SELECT id FROM projects WHERE organization_id = $1 AND deleted_at IS NULL ORDER BY created_at, id LIMIT 50`,
    [orgId],
  );
  const tasks = await client.query<{ id: string }>(
    `SELECT id FROM (
       SELECT id, row_number() OVER (PARTITION BY project_id ORDER BY created_at, id) AS rn FROM tasks
       WHERE organization_id = $1 AND deleted_at IS NULL AND project_id = ANY($2::uuid[])) s
     WHERE rn <= 20`,
    [orgId, projects.rows.map((r) => r.id)],
  );
  const comments = await client.query<{ author_id: string | null }>(
    `SELECT author_id FROM (
       SELECT author_id, row_number() OVER (PARTITION BY task_id ORDER BY created_at, id) AS rn FROM comments
       WHERE organization_id = $1 AND deleted_at IS NULL AND task_id = ANY($2::uuid[])) s
     WHERE rn <= 20`,
    [orgId, tasks.rows.map((r) => r.id)],
  );
  const referenced = [...new Set(comments.rows.flatMap((r) => (r.author_id ? [r.author_id] : [])))];
  const authors = await client.query<{ id: string }>(
    `SELECT id FROM users WHERE organization_id = $1 AND deleted_at IS NULL AND id = ANY($2::uuid[])`,
    [orgId, referenced],
  );
  const live = new Set(authors.rows.map((r) => r.id));
  const resolved = comments.rows.flatMap((r) => (r.author_id && live.has(r.author_id) ? [r.author_id] : []));
  authorIds?.push(...resolved.map((id) => toGlobalId("User", id)).sort());
  return {
    projects: projects.rowCount ?? 0,
    tasks: tasks.rowCount ?? 0,
    comments: comments.rowCount ?? 0,
    authors: resolved.length,
  };
}
const SQL_STATEMENTS_PER_READ = 4;

// ------------------------------------------------------------------------------------------------ CPU accounting

/**
 * Waits until the server and the bench database's backends stop using CPU. When autocannon stops, the requests it
 * had in flight keep running in the server; the next phase must not pay for them.
 */
async function waitForIdle(monitor: pg.ClientBase, serverPid: number | undefined): Promise<void> {
  const deadline = performance.now() + REQUEST_TIMEOUT_S * 1000;
  let before = await cpuSnapshot(monitor, serverPid);
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const after = await cpuSnapshot(monitor, serverPid);
    const d = cpuDelta(before, after);
    if ((d.server ?? 0) + d.postgres < 0.05) return;
    before = after;
  }
  say(`warning: the server was still busy ${REQUEST_TIMEOUT_S} s after the load stopped`);
}

/** CPU per request, ms: the server process, the PostgreSQL backends of the bench database (/proc), this process. */
interface CpuPerRequest {
  server: number | undefined;
  postgres: number | undefined;
  bench: number;
}

// ------------------------------------------------------------------------------------------------ server

/** The servers' settings but for their defaults (and the variant each measures). */
const SERVER_ENV = { DATABASE_POOL_MAX: "10" };

// ------------------------------------------------------------------------------------------------ the peer

const PEER_DIR = `${ROOT}bench/peers/postgraphile/`;

/** Installs the peer's own dependencies (its package-lock.json) on first use; never the server's. */
function ensurePeer(): void {
  if (existsSync(`${PEER_DIR}node_modules/postgraphile/package.json`)) return;
  say(`installing the PostGraphile peer into ${PEER_DIR} (npm ci, first run only)`);
  const r = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: PEER_DIR, stdio: ["ignore", 2, 2] });
  if (r.status !== 0) throw new Error(`npm ci in ${PEER_DIR} failed with status ${r.status}`);
}

/** PostGraphile v4 + pg-omit-archived (bench/peers/postgraphile/server.js) on the same database. */
async function startPeer(databaseUrl: string): Promise<Server> {
  ensurePeer();
  const child = spawn(process.execPath, [`${PEER_DIR}server.js`], {
    cwd: PEER_DIR,
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: "10", NODE_ENV: "production" },
  });
  return awaitListening(child, (output) => /PostGraphile: (http:\/\/\S+)/.exec(output)?.[1]);
}

/** PostGraphile's spelling of the reads: its relation names, and the same keyset order. */
const ORDER = `orderBy: [CREATED_AT_ASC, ID_ASC]`;
const PEER_NESTED_READ = `{ allProjects(first: 50, ${ORDER}) { edges { node { tasksByProjectId(first: 20, ${ORDER}) {
  edges { node { commentsByTaskId(first: 20, ${ORDER}) { edges { node { userByAuthorId { id } } } } } } } } } } }`;
/** The page of the issue: 10 projects × 10 tasks × 10 comments, totalCount at each level, the author's name. */
const PAGE_READ = `{ projects(first: 10) { totalCount edges { node { tasks(first: 10) { totalCount edges { node {
  comments(first: 10) { totalCount edges { node { author { name } } } } } } } } } } }`;
const PEER_PAGE_READ = `{ allProjects(first: 10, ${ORDER}) { totalCount edges { node { tasksByProjectId(first: 10, ${ORDER}) {
  totalCount edges { node { commentsByTaskId(first: 10, ${ORDER}) { totalCount edges { node { userByAuthorId { name } } } } } } } } } } }`;

/**
 * The shape of a read's answer, the same whichever server gave it: edges and totalCount per level, in order
 * (authors left out: PostGraphile's to-one relations do not hide deleted rows).
 */
function shape(data: unknown): string {
  const out: number[] = [];
  const walk = (conn: unknown): void => {
    if (!conn || typeof conn !== "object") return;
    const c = conn as { totalCount?: number; edges?: { node: Record<string, unknown> }[] };
    if (typeof c.totalCount === "number") out.push(c.totalCount);
    if (!c.edges) return;
    out.push(c.edges.length);
    for (const { node } of c.edges) for (const v of Object.values(node)) walk(v);
  };
  walk(Object.values(data as Record<string, unknown>)[0]);
  return out.join(",");
}

// ------------------------------------------------------------------------------------------------ workloads

interface Workload {
  name: string;
  unit: string;
  completed: number;
  seconds: number;
  p50: number;
  p99: number;
  errors: number;
  cpu: CpuPerRequest;
  notes: string[];
}

/** Failures seen in response bodies: non-200 statuses, GraphQL errors and wrong data, with the first few reasons. */
class Failures {
  count = 0;
  readonly reasons = new Map<string, number>();
  add(reason: string) {
    this.count++;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
  }
  reset() {
    this.count = 0;
    this.reasons.clear();
  }
  describe(): string {
    return [...this.reasons]
      .slice(0, 5)
      .map(([r, n]) => `${n}× ${r}`)
      .join("; ");
  }
}

function graphqlFailure(status: number, body: { errors?: { message?: string; extensions?: { code?: string } }[] }) {
  if (status !== 200) return `HTTP ${status}`;
  const first = body.errors?.[0];
  return first ? `${first.extensions?.code ?? "ERROR"}: ${first.message ?? ""}`.slice(0, 160) : undefined;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** A slow answer is a slow answer, not an error: only a request unanswered this long counts as failed. */
const REQUEST_TIMEOUT_S = 120;

async function cannon(endpoint: URL, seconds: number, requests: CannonRequest[]): Promise<CannonResult> {
  return autocannon({
    url: endpoint.toString(),
    connections: CONNECTIONS,
    duration: seconds,
    timeout: REQUEST_TIMEOUT_S,
    requests,
  });
}

/**
 * Runs one measured phase from an idle server. Server and PostgreSQL CPU are counted until both are idle again, and
 * shared among the completed requests plus the `inFlightAtEnd` ones the load generator dropped when time ran out
 * (the server finishes those too); the load generator's CPU is shared among the completed requests.
 */
async function measure(
  name: string,
  unit: string,
  monitor: pg.ClientBase,
  serverPid: number | undefined,
  inFlightAtEnd: number,
  run: () => Promise<{ completed: number; seconds: number; p50: number; p99: number; errors: number }>,
): Promise<Omit<Workload, "notes">> {
  await waitForIdle(monitor, serverPid);
  const before = await cpuSnapshot(monitor, serverPid);
  const r = await run();
  const bench = process.cpuUsage(before.self);
  await waitForIdle(monitor, serverPid);
  const d = cpuDelta(before, await cpuSnapshot(monitor, serverPid));
  const served = r.completed + inFlightAtEnd;
  const perServed = (seconds: number) => (served ? (seconds * 1000) / served : 0);
  return {
    name,
    unit,
    ...r,
    cpu: {
      server: d.server === undefined ? undefined : perServed(d.server),
      postgres: procAvailable ? perServed(d.postgres) : undefined,
      bench: r.completed ? (bench.user + bench.system) / 1000 / r.completed : 0,
    },
  };
}

/** One read workload: a query sent by autocannon, each answer checked against the expected shape. */
async function readWorkload(
  name: string,
  endpoint: URL,
  token: string | undefined,
  query: string,
  expectedShape: string,
  monitor: pg.ClientBase,
  serverPid: number,
  warmup: number,
): Promise<Workload> {
  const failures = new Failures();
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const request: CannonRequest = {
    method: "POST",
    path: endpoint.pathname,
    headers,
    body: JSON.stringify({ query }),
    onResponse: (status, raw) => {
      let body: { data?: unknown; errors?: { message?: string; extensions?: { code?: string } }[] };
      try {
        body = JSON.parse(raw) as typeof body;
      } catch {
        return failures.add(`HTTP ${status}, not JSON`);
      }
      const failure = graphqlFailure(status, body);
      if (failure) return failures.add(failure);
      if (!body.data || shape(body.data) !== expectedShape) failures.add("wrong rows");
    },
  };
  if (warmup) await cannon(endpoint, warmup, [request]);
  failures.reset();
  const w = await measure(name, "requests", monitor, serverPid, CONNECTIONS, async () => {
    const r = await cannon(endpoint, READ_DURATION_S, [request]);
    return {
      completed: r.requests.total,
      seconds: r.duration,
      p50: r.latency.p50,
      p99: r.latency.p99,
      errors: r.errors + failures.count,
    };
  });
  return { ...w, notes: failures.count ? [`${name} failures: ${failures.describe()}`] : [] };
}

const SOFT_DELETE = `mutation ($id: ID!, $reason: String) {
  softDelete(id: $id, reason: $reason) { node { id isDeleted } cascaded { type count } } }`;
const RESTORE = `mutation ($id: ID!) { restore(id: $id) { node { id isDeleted } cascaded { type count } } }`;

interface MutationData {
  node: { id: string; isDeleted: boolean };
  cascaded: { type: string; count: number }[];
}

/**
 * softDelete then restore of the same task on each connection, the next pair on the next task of a shuffled list
 * of live tasks, so no two pairs in flight touch the same task. A restore must bring back exactly as many rows as
 * its delete cascaded to.
 */
async function softDeleteRestoreWorkload(
  endpoint: URL,
  token: string,
  taskIds: string[],
  monitor: pg.ClientBase,
  serverPid: number,
): Promise<{
  workload: Workload;
  perKind: Record<"softDelete" | "restore", number[]>;
  cascadedRows: number;
  pairs: number;
}> {
  const failures = new Failures();
  const perKind = { softDelete: [] as number[], restore: [] as number[] };
  let list = taskIds;
  let next = 0;
  let pairs = 0;
  let cascadedRows = 0;
  const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
  const check = (kind: "softDelete" | "restore", status: number, raw: string, ctx: CannonContext) => {
    perKind[kind].push(performance.now() - (ctx.sentAt as number));
    let body: { data?: Record<string, MutationData>; errors?: { message?: string; extensions?: { code?: string } }[] };
    try {
      body = JSON.parse(raw) as typeof body;
    } catch {
      return failures.add(`${kind}: HTTP ${status}, not JSON`);
    }
    const failure = graphqlFailure(status, body);
    if (failure) return failures.add(`${kind}: ${failure}`);
    const result = body.data?.[kind];
    if (!result || result.node.id !== ctx.id || result.node.isDeleted !== (kind === "softDelete"))
      return failures.add(`${kind}: wrong node`);
    const cascaded = result.cascaded.reduce((n, c) => n + c.count, 0);
    if (kind === "softDelete") ctx.cascaded = cascaded;
    else if (cascaded !== ctx.cascaded) failures.add("restore: brought back another number of rows than were deleted");
    else {
      pairs++;
      cascadedRows += cascaded;
    }
  };
  const requests: CannonRequest[] = [
    {
      method: "POST",
      path: endpoint.pathname,
      headers,
      setupRequest: (req, ctx) => {
        ctx.id = list[next++ % list.length];
        ctx.sentAt = performance.now();
        return { ...req, body: JSON.stringify({ query: SOFT_DELETE, variables: { id: ctx.id, reason: "bench" } }) };
      },
      onResponse: (status, raw, ctx) => check("softDelete", status, raw, ctx),
    },
    {
      method: "POST",
      path: endpoint.pathname,
      headers,
      setupRequest: (req, ctx) => {
        ctx.sentAt = performance.now();
        return { ...req, body: JSON.stringify({ query: RESTORE, variables: { id: ctx.id } }) };
      },
      onResponse: (status, raw, ctx) => check("restore", status, raw, ctx),
    },
  ];
  if (WARMUP_S) await cannon(endpoint, WARMUP_S, requests);
  // A pair cut off by the end of the warm-up may have left its task deleted: the measured run never sees those.
  // Wrapping around its own list is safe: a task comes round again long after its pair completed.
  list = list.slice(next);
  next = 0;
  failures.reset();
  perKind.softDelete.length = perKind.restore.length = 0;
  pairs = cascadedRows = 0;
  const w = await measure("(b) GraphQL softDelete + restore", "requests", monitor, serverPid, CONNECTIONS, async () => {
    const r = await cannon(endpoint, DURATION_S, requests);
    return {
      completed: r.requests.total,
      seconds: r.duration,
      p50: r.latency.p50,
      p99: r.latency.p99,
      errors: r.errors + failures.count,
    };
  });
  const notes = failures.count ? [`(b) failures: ${failures.describe()}`] : [];
  return { workload: { ...w, notes }, perKind, cascadedRows, pairs };
}

async function sqlBaselineWorkload(
  url: string,
  orgId: string,
  expected: ReadCounts,
  monitor: pg.ClientBase,
  duration = DURATION_S,
  warmup = WARMUP_S,
): Promise<Workload> {
  const pool = new pg.Pool({ connectionString: url, max: CONNECTIONS });
  try {
    const failures = new Failures();
    const loop = async (seconds: number, latencies: number[]) => {
      const deadline = performance.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          const client = await pool.connect();
          try {
            while (performance.now() < deadline) {
              const started = performance.now();
              try {
                const counts = await sqlRead(client, orgId);
                latencies.push(performance.now() - started);
                if (!sameCounts(counts, expected)) failures.add("wrong row counts");
              } catch (err) {
                failures.add(err instanceof Error ? err.message.slice(0, 160) : String(err));
              }
            }
          } finally {
            client.release();
          }
        }),
      );
    };
    if (warmup) await loop(warmup, []);
    failures.reset();
    const w = await measure("(c) SQL baseline: read (a) through pg", "reads", monitor, undefined, 0, async () => {
      const latencies: number[] = [];
      const started = performance.now();
      await loop(duration, latencies);
      const seconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      return {
        completed: latencies.length,
        seconds,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        errors: failures.count,
      };
    });
    return { ...w, notes: failures.count ? [`(c) failures: ${failures.describe()}`] : [] };
  } finally {
    await pool.end();
  }
}

type ReadKey =
  | "compiledBig"
  | "resolversBig"
  | "noRlsBig"
  | "peerBig"
  | "sql"
  | "compiledPage"
  | "resolversPage"
  | "noRlsPage"
  | "peerPage";
type ReadRound = Record<ReadKey, Workload>;
/** The read workloads of one round, in the order they run. */
const READ_KINDS: { key: ReadKey; label: string }[] = [
  { key: "compiledBig", label: "nested read: this server" },
  { key: "peerBig", label: "nested read: PostGraphile v4" },
  { key: "sql", label: "nested read: hand-written SQL" },
  { key: "resolversBig", label: "nested read: this server, READ_COMPILER=off" },
  { key: "noRlsBig", label: "nested read: this server, ROW_LEVEL_SECURITY=false" },
  { key: "compiledPage", label: "10×10×10 page: this server" },
  { key: "peerPage", label: "10×10×10 page: PostGraphile v4" },
  { key: "resolversPage", label: "10×10×10 page: this server, READ_COMPILER=off" },
  { key: "noRlsPage", label: "10×10×10 page: this server, ROW_LEVEL_SECURITY=false" },
];

/** One workload over all rounds: requests and CPU summed (CPU per request weighted), latencies' medians. */
function aggregate(ws: Workload[]): Workload {
  const completed = ws.reduce((n, w) => n + w.completed, 0);
  const weighted = (f: (w: Workload) => number | undefined) =>
    ws.some((w) => f(w) === undefined)
      ? undefined
      : ws.reduce((n, w) => n + f(w)! * w.completed, 0) / Math.max(completed, 1);
  return {
    name: ws[0]!.name,
    unit: ws[0]!.unit,
    completed,
    seconds: ws.reduce((n, w) => n + w.seconds, 0),
    p50: median(ws.map((w) => w.p50)),
    p99: median(ws.map((w) => w.p99)),
    errors: ws.reduce((n, w) => n + w.errors, 0),
    cpu: {
      server: weighted((w) => w.cpu.server),
      postgres: weighted((w) => w.cpu.postgres),
      bench: weighted((w) => w.cpu.bench)!,
    },
    notes: ws.flatMap((w) => w.notes),
  };
}

// ------------------------------------------------------------------------------------------------ report

const mb = (bytes: number) => `${num(bytes / 1024 / 1024, 1)} MB`;
const ms = (n: number | undefined) => (n === undefined ? "–" : num(n, n < 10 ? 2 : n < 100 ? 1 : 0));

interface Report {
  date: string;
  nodeVersion: string;
  postgresVersion: string;
  loadAverage: number;
  seedSeconds: number;
  sizes: Awaited<ReturnType<typeof tableSizes>>;
  read: ReadCounts;
  responseBytes: number;
  workloads: Workload[];
  rounds: ReadRound[];
  perKind: Record<"softDelete" | "restore", number[]>;
  pairs: number;
  cascadedRows: number;
  auditEntries: number;
  leftDeleted: number;
}

/** The side-by-side reads: each workload over the rounds, then the ratios per round. */
function renderReads(r: Report): string[] {
  const rate = (w: Workload) => w.completed / w.seconds;
  const rows = READ_KINDS.map(({ key, label }) => {
    const ws = r.rounds.map((round) => round[key]);
    const all = aggregate(ws);
    const unit = key === "sql" ? "reads/s" : "req/s";
    return `| ${label} | ${ws.map((w) => num(rate(w), 1)).join(" / ")} ${unit} | ${num(median(ws.map(rate)), 1)} | ${ms(all.p50)} | ${ms(all.p99)} | ${num(all.completed)} | ${num(all.errors)} | ${ms(all.cpu.server)} | ${ms(all.cpu.postgres)} |`;
  });
  const ratio = (a: ReadKey, b: ReadKey) => {
    // A round in which the slower side completed nothing has no ratio.
    const per = r.rounds.map((round) => (round[b].completed ? rate(round[a]) / rate(round[b]) : undefined));
    const known = per.filter((x): x is number => x !== undefined);
    const shown = per.map((x) => (x === undefined ? "–" : `${num(x, 2)}×`)).join(" / ");
    return `${shown} (median ${known.length ? `${num(median(known), 2)}×` : "–"})`;
  };
  const agg = (key: ReadKey) => aggregate(r.rounds.map((round) => round[key]));
  return [
    "### Reads side by side",
    "",
    `${ROUNDS} rounds; each round runs every read below once, in this order, ${READ_DURATION_S} s each (after a ` +
      `${WARMUP_S} s warm-up in the first round), so the load of the other processes on this shared machine (other ` +
      `developers' test suites ran meanwhile; 1-minute load average ${num(r.loadAverage, 1)} on ${os.cpus().length} ` +
      "cores at the start) falls on all of them alike. The same database serves all; PostGraphile v4 " +
      "(4.14.1 with @graphile-contrib/pg-omit-archived 3.2.1, archived column `is_deleted`, installed into " +
      "bench/peers/postgraphile on first run) runs as its own process with a pool of 10, like the server. Every " +
      "answer is checked against the shape (edges and totalCount per level) of this server's answer.",
    "",
    "| read | throughput per round | median | p50 ms | p99 ms | done | errors | server CPU ms/req | PostgreSQL CPU ms/req |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `- nested read, this server ÷ PostGraphile: ${ratio("compiledBig", "peerBig")}`,
    `- nested read, this server ÷ hand-written SQL: ${ratio("compiledBig", "sql")}`,
    `- nested read, this server ÷ READ_COMPILER=off: ${ratio("compiledBig", "resolversBig")}`,
    `- 10×10×10 page, this server ÷ PostGraphile: ${ratio("compiledPage", "peerPage")}`,
    `- What row-level security costs a read (this server ÷ the same with ROW_LEVEL_SECURITY=false; each statement ` +
      `then goes with its \`set_config\` in one simple-protocol round trip, src/db/scoped-queries.ts): nested read ` +
      `${ratio("compiledBig", "noRlsBig")}; 10×10×10 page ${ratio("compiledPage", "noRlsPage")}. PostgreSQL CPU ` +
      `per nested read ${ms(agg("compiledBig").cpu.postgres)} ms with RLS, ${ms(agg("noRlsBig").cpu.postgres)} ms ` +
      `without.`,
    `- 10×10×10 page, this server ÷ READ_COMPILER=off: ${ratio("compiledPage", "resolversPage")}`,
    `- PostgreSQL CPU per nested read: ${ms(agg("compiledBig").cpu.postgres)} ms compiled, ` +
      `${ms(agg("resolversBig").cpu.postgres)} ms through the resolvers, ${ms(agg("peerBig").cpu.postgres)} ms for ` +
      `PostGraphile, ${ms(agg("sql").cpu.postgres)} ms for the hand-written SQL.`,
    "- The queries: this server's are the spec's nested read (below) and `" +
      PAGE_READ.replace(/\s+/g, " ") +
      "`; PostGraphile's are the same with its names (`allProjects`, `tasksByProjectId`, `commentsByTaskId`, " +
      "`userByAuthorId`) and `orderBy: [CREATED_AT_ASC, ID_ASC]`. Two differences in what they answer: " +
      "PostGraphile's to-one relations do not hide deleted rows (it returns the deleted authors this server " +
      "answers as null), and it applies no tenant condition (the data set has one organization).",
    "",
  ];
}

function renderSection(r: Report): string {
  const share = (part: number, whole: number) => `${num((100 * part) / whole, 1)}%`;
  const dataRows = r.sizes.tables.map(
    (t) =>
      `| ${t.table} | ${num(t.rows)} | ${num(t.live)} | ${num(t.deleted)} (${share(t.deleted, t.rows)}) | ${mb(t.bytes)} |`,
  );
  const rate = (w: Workload) => w.completed / w.seconds;
  const resultRows = r.workloads.map((w) => {
    const throughput =
      w.unit === "reads"
        ? `${num(rate(w), 1)} reads/s (${num(rate(w) * SQL_STATEMENTS_PER_READ)} queries/s)`
        : `${num(rate(w), 1)} req/s`;
    return `| ${w.name} | ${throughput} | ${ms(w.p50)} | ${ms(w.p99)} | ${num(w.completed)} | ${num(w.errors)} | ${ms(w.cpu.server)} | ${ms(w.cpu.postgres)} | ${ms(w.cpu.bench)} |`;
  });
  const kindRows = (["softDelete", "restore"] as const).map((kind) => {
    const sorted = [...r.perKind[kind]].sort((a, b) => a - b);
    return `| (b) of which ${kind} | | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 99))} | ${num(sorted.length)} | | | | |`;
  });
  const notes = r.workloads.flatMap((w) => w.notes);
  return [
    SECTION,
    "",
    `Run on ${r.date} with \`${COMMAND}\`: Node ${r.nodeVersion}, PostgreSQL ${r.postgresVersion}, ${os.cpus().length} cores / ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB (node-svc), 1-minute load average ${num(r.loadAverage, 1)} at the start. ` +
      `Server: \`node dist/src/server/main.js\` as a child process (NODE_ENV=production, LOG_LEVEL=silent, ` +
      `DATABASE_POOL_MAX=10, other settings at their defaults) on 127.0.0.1. Load: autocannon 9 in the bench process, ` +
      `${CONNECTIONS} connections, ${WARMUP_S} s warm-up then ${DURATION_S} s per workload; the SQL baseline runs ` +
      `${CONNECTIONS} loops on a pg pool of ${CONNECTIONS}. Bench, server and PostgreSQL share the machine's cores.`,
    "",
    "### Data set",
    "",
    `Database \`${DATABASE}\`, ${mb(r.sizes.databaseBytes)}, seeded set-based (generate_series) in ${num(r.seedSeconds, 1)} s, ` +
      `then VACUUM ANALYZE: one organization, deleted rows consistent (no live row under a deleted parent; a ` +
      `reply chain is deleted from the deleted comment on).`,
    "",
    "| table | rows | live | deleted | size (with indexes) |",
    "|---|---:|---:|---:|---:|",
    ...dataRows,
    "",
    `The nested read returns ${num(r.read.projects)} projects, ${num(r.read.tasks)} tasks, ${num(r.read.comments)} comments ` +
      `and ${num(r.read.authors)} authors (the other ${num(r.read.comments - r.read.authors)} comments' authors are ` +
      `deleted and resolve to null): ${num(r.responseBytes / 1024)} kB of JSON.`,
    "",
    ...renderReads(r),
    "### Results",
    "",
    "| workload | throughput | p50 ms | p99 ms | done | errors | server CPU ms/req | PostgreSQL CPU ms/req | load generator CPU ms/req |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...resultRows.slice(0, 2),
    ...kindRows,
    ...resultRows.slice(2),
    "",
    `- (b): ${num(r.pairs)} pairs completed in the measured ${DURATION_S} s; each softDelete cascaded to ` +
      `${num(r.pairs ? r.cascadedRows / r.pairs : 0, 1)} rows on average (the task's comments and assignments), and ` +
      `each restore brought back exactly as many. ${num(r.auditEntries)} audit entries were written in all ` +
      `(warm-up included). ${num(r.leftDeleted)} task(s) stay deleted: pairs cut off at the end of a run.`,
    `- (c): the read of (a) as ${SQL_STATEMENTS_PER_READ} set-based statements (projects, tasks, comments, authors), ` +
      "each batched over all parents with `deleted_at IS NULL`, keyset order and at most 20 rows per parent, " +
      "selecting only the columns the answer needs; it returns the same row counts as (a).",
    "- errors: transport errors and timeouts, non-200 statuses, responses carrying GraphQL `errors`, and responses " +
      "whose row counts differ from the SQL read (or a restore that does not undo exactly its delete).",
    "- softDelete / restore percentiles are timed in the bench process, from building the request to its response " +
      "callback; the other percentiles are autocannon's. CPU per request comes from /proc: the server process, and " +
      "the PostgreSQL backends connected to the bench database.",
    ...notes.map((n) => `- ${n}`),
  ].join("\n");
}

// ------------------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const loadAverage = loadAverageAtStart(say);
  say(`creating and seeding ${DATABASE}`);
  const { url, orgId, seedSeconds } = await createDatabase();
  const monitor = new pg.Client({ connectionString: url });
  await monitor.connect();
  let server: Server | undefined;
  let resolversServer: Server | undefined;
  let noRlsServer: Server | undefined;
  let peer: Server | undefined;
  const stopServer = () => {
    for (const s of [server, resolversServer, peer]) s?.child.kill("SIGTERM");
  };
  process.once("SIGINT", () => {
    stopServer();
    process.exit(130);
  });
  try {
    const sizes = await tableSizes(monitor);
    const postgresVersion = (await serverVersion(monitor)).split(" ")[0]!;
    const sqlAuthors: AuthorIds = [];
    const expected = await sqlRead(monitor, orgId, sqlAuthors);
    const { rows: tasks } = await monitor.query<{ id: string }>(
      `SELECT id FROM tasks WHERE organization_id = $1 AND deleted_at IS NULL ORDER BY md5(id::text)`,
      [orgId],
    );
    const secret = randomBytes(32).toString("base64url");
    const token = await signToken({ sub: SUBJECT, role: "EDITOR", org: ORG_SLUG }, secret, 3_600_000);

    say("starting the server");
    server = await startServer(url, secret, SERVER_ENV);
    const serverPid = server.child.pid!;
    const first = await postGraphql<NestedReadData>(server.endpoint, token, NESTED_READ);
    if (!first.body.data || first.body.errors?.length)
      throw new Error(`the nested read failed: ${JSON.stringify(first.body.errors).slice(0, 500)}`);
    const apiAuthors: AuthorIds = [];
    const got = countGraphql(first.body.data, apiAuthors);
    if (!sameCounts(got, expected) || apiAuthors.join() !== sqlAuthors.join())
      throw new Error(`the API and the SQL read disagree: ${JSON.stringify(got)} vs ${JSON.stringify(expected)}`);

    say("starting the same server with READ_COMPILER=off, and the PostGraphile peer");
    resolversServer = await startServer(url, secret, { ...SERVER_ENV, READ_COMPILER: "off" });
    noRlsServer = await startServer(url, secret, { ...SERVER_ENV, ROW_LEVEL_SECURITY: "false" });
    peer = await startPeer(url);
    const bigShape = shape(first.body.data);
    const page = await postGraphql(server.endpoint, token, PAGE_READ);
    const pageShape = shape(page.body.data);
    const check = async (endpoint: URL, query: string, want: string, who: string) => {
      const r = await postGraphql(endpoint, token, query);
      if (!r.body.data || r.body.errors?.length || shape(r.body.data) !== want)
        throw new Error(`${who} answers another shape: ${JSON.stringify(r.body).slice(0, 300)}`);
    };
    await check(resolversServer.endpoint, NESTED_READ, bigShape, "READ_COMPILER=off, nested read,");
    await check(resolversServer.endpoint, PAGE_READ, pageShape, "READ_COMPILER=off, page,");
    await check(noRlsServer.endpoint, NESTED_READ, bigShape, "ROW_LEVEL_SECURITY=false, nested read,");
    await check(noRlsServer.endpoint, PAGE_READ, pageShape, "ROW_LEVEL_SECURITY=false, page,");
    await check(peer.endpoint, PEER_NESTED_READ, bigShape, "PostGraphile, nested read,");
    await check(peer.endpoint, PEER_PAGE_READ, pageShape, "PostGraphile, page,");

    // Alternating runs: every round runs each read once, in turn, so load from other processes on this shared
    // machine falls on all of them alike; the warm-up is paid in the first round only.
    const rounds: ReadRound[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const warmup = round === 1 ? WARMUP_S : 0;
      const r = {} as ReadRound;
      for (const kind of READ_KINDS) {
        say(`round ${round}/${ROUNDS}: ${kind.label}, ${warmup} + ${READ_DURATION_S} s`);
        if (kind.key === "sql") {
          r.sql = await sqlBaselineWorkload(url, orgId, expected, monitor, READ_DURATION_S, warmup);
          continue;
        }
        const target = kind.key.startsWith("peer")
          ? peer
          : kind.key.startsWith("resolvers")
            ? resolversServer
            : kind.key.startsWith("noRls")
              ? noRlsServer
              : server;
        const big = kind.key.endsWith("Big");
        const query = kind.key.startsWith("peer")
          ? big
            ? PEER_NESTED_READ
            : PEER_PAGE_READ
          : big
            ? NESTED_READ
            : PAGE_READ;
        r[kind.key] = await readWorkload(
          kind.label,
          target.endpoint,
          kind.key.startsWith("peer") ? undefined : token,
          query,
          big ? bigShape : pageShape,
          monitor,
          target.child.pid!,
          warmup,
        );
      }
      rounds.push(r);
    }
    await peer.stop();
    await resolversServer.stop();
    await noRlsServer.stop();
    const read = { ...aggregate(rounds.map((r) => r.compiledBig)), name: "(a) GraphQL nested read" };
    const baseline = { ...aggregate(rounds.map((r) => r.sql)), name: "(c) SQL baseline: read (a) through pg" };
    say(`(b) softDelete + restore, ${WARMUP_S} + ${DURATION_S} s`);
    const writes = await softDeleteRestoreWorkload(
      server.endpoint,
      token,
      tasks.map((t) => toGlobalId("Task", t.id)),
      monitor,
      serverPid,
    );
    // Stopping drains the server, so every transaction it started has ended before the checks below.
    await server.stop();

    await checkConsistency(monitor, "after the softDelete/restore run");
    const audit = await monitor.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log`);
    const left = await monitor.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tasks WHERE deleted_by = $1 AND deleted_at IS NOT NULL`,
      [SUBJECT],
    );
    const report: Report = {
      date: new Date().toISOString().slice(0, 10),
      nodeVersion: process.version,
      postgresVersion,
      loadAverage,
      seedSeconds,
      sizes,
      read: expected,
      responseBytes: first.bytes,
      workloads: [read, writes.workload, baseline],
      rounds,
      perKind: writes.perKind,
      pairs: writes.pairs,
      cascadedRows: writes.cascadedRows,
      auditEntries: audit.rows[0]!.n,
      leftDeleted: left.rows[0]!.n,
    };
    const section = renderSection(report);
    process.stdout.write(`\n${section}\n`);
    if (await writeBenchmarkSection("bench:api", section, { ...report, command: COMMAND }))
      say(`wrote the "${SECTION}" section of BENCHMARKS.md`);
    const failed = report.workloads.reduce((n, w) => n + w.errors, 0);
    if (failed) {
      say(`${failed} request(s) failed`);
      process.exitCode = 1;
    }
  } finally {
    await server?.stop();
    await resolversServer?.stop();
    await noRlsServer?.stop();
    await peer?.stop();
    await monitor.end();
  }
}

await main();
