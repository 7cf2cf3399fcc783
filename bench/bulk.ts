/**
 * `npm run bench:bulk`: rows per second and server memory of a durable bulk soft delete by filter, driven through
 * the GraphQL API until its terminal progress event, next to the same batches written by hand and sent through
 * node-postgres.
 *
 * 1. Creates two template databases (dropped first), migrates them and seeds them with set-based SQL
 *    (generate_series): one organization, 1,000 users, one project, and tasks × users task assignments, every one
 *    of them live: `sdg_bench_bulk` with 1,000,000 assignments (1,000 tasks) and `sdg_bench_bulk_100k` with
 *    100,000 (100 tasks). Then VACUUM ANALYZE, and EXPLAIN (not run) of the baseline's first batch. The target type
 *    is TaskAssignment because nothing cascades below an assignment: per batch the engine, like the baseline, changes
 *    rows with one UPDATE + audit statement (a comment would cost it one more, empty, UPDATE per batch for
 *    Comment.replies), so the comparison is like for like.
 * 2. Each measurement runs on a fresh copy (`CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY`) after a CHECKPOINT:
 *    (a) API: the built server (`dist/src/server/main.js`; `npm run bench:bulk` builds first) as a child process on
 *        127.0.0.1 with BULK_BATCH_SIZE=10000, so its memory is measured alone. Over HTTP
 *        `bulkSoftDelete(filter: { type: TaskAssignment, createdBefore: <seed time> })` (every assignment), then
 *        `bulkOperationProgress(id)` over a graphql-ws WebSocket; timed from sending the mutation to receiving the
 *        terminal event. The child's VmRSS is sampled from /proc every 100 ms; VmHWM gives its peak.
 *    (b) baseline: the same keyset batches by hand, one transaction each: `SELECT id … AND id > $last ORDER BY id
 *        LIMIT 10000`, `WITH changed AS (UPDATE … WHERE id = ANY($1) AND deleted_at IS NULL RETURNING id) INSERT
 *        INTO audit_log … SELECT … FROM changed`, and a progress UPDATE of a bulk_operations row.
 *    (c) the API again with the audit hash chain off and with row-level security off (ROW_LEVEL_SECURITY=false),
 *        each on its own fresh copy (bench/support/variants.ts).
 *    Rounds rotate which side runs first; BENCH_ROUNDS rounds per size, medians kept.
 * 3. After every run it reads the copy's scan counters of task_assignments (how many sequential scans each side
 *    made), then checks: processed = rows (the operation row and the terminal event), one SOFT_DELETE audit entry
 *    per row under the operation id, every row deleted by that operation and none left live.
 * 4. Prints the section and writes it to the "## bench:bulk" section of BENCHMARKS.md.
 *
 * Environment: BENCH_DATABASE_URL (a PostgreSQL on this machine; default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_ROUNDS (default 2), BENCH_BATCH_SIZE (default 10000).
 */
import { writeBenchmarkSection } from "./support/benchmarks-file.js";
import { auditEntries } from "./support/consistency.js";
import {
  beginSeed,
  createActor,
  createMigratedDatabase,
  dropDatabases,
  freshCopy,
  maintenanceUrl,
  postgresSettings,
  serverVersion,
  withClient,
} from "./support/databases.js";
import { envInt, loadAverageAtStart, sayer } from "./support/env.js";
import { memoryOf, type Usage, usageSampler } from "./support/proc.js";
import { graphqlData, startServer } from "./support/server.js";
import { median, num } from "./support/stats.js";
import { prepareVariant, runRound, type Variant, variantTable } from "./support/variants.js";
import { randomBytes, randomUUID } from "node:crypto";
import os from "node:os";
import { performance } from "node:perf_hooks";
import type { Client as WsClient } from "graphql-ws";
import pg from "pg";
import { signToken } from "../src/auth/token.js";
import { wsClient, wsExec } from "../test/support/ws.js";

// ------------------------------------------------------------------------------------------------ settings

const SECTION = "## bench:bulk";
const COMMAND = "npm run bench:bulk";
const COPY_DB = "sdg_bench_bulk_run";
const ORG_SLUG = "bench-bulk";
const SUBJECT = "admin@bench-bulk.test";
const REASON = "bench";
const USERS = 1_000;

const ROUNDS = envInt("BENCH_ROUNDS", 2, 1, 9);
const BATCH_SIZE = envInt("BENCH_BATCH_SIZE", 10_000, 100, 100_000);
/** Met when the API reaches this share of the hand-written batches' rows/s (at 1,000,000 rows). */
const TARGET_RATIO = 0.8;
/** Met when the server's peak RSS at 1,000,000 rows exceeds its peak at 100,000 by less than this. */
const RSS_GROWTH_TARGET_MB = 100;

/** The two data sets: the same shape, tasks × 1,000 users assignments. */
const SETS = [
  { rows: 100_000, template: "sdg_bench_bulk_100k" },
  { rows: 1_000_000, template: "sdg_bench_bulk" },
] as const;
type DataSet = (typeof SETS)[number];

const say = sayer("bench:bulk");

// ------------------------------------------------------------------------------------------------ seed

interface Seeded {
  set: DataSet;
  orgId: string;
  /** Every assignment was created before this instant: the filter's `createdBefore`. */
  createdBefore: string;
  seedSeconds: number;
  databaseBytes: number;
  tableBytes: number;
  /** How PostgreSQL plans the first batch's statements on the template (EXPLAIN, not run). */
  plans: { select: string; update: string };
}

/**
 * Set-based seed of one organization ($1): users, one project, `rows / USERS` tasks and every task × user pair as
 * an assignment. The assignments' secondary indexes are dropped for the load and built again from their own
 * definitions afterwards (a sorted build instead of a million random insertions); as superuser the foreign-key
 * triggers are skipped for the load too, since every reference comes from a join with the row it names.
 */
async function seed(client: pg.Client, set: DataSet): Promise<string> {
  const tasks = set.rows / USERS;
  const orgId = await beginSeed(client, { slug: ORG_SLUG, name: "Bench bulk" }, { maintenance_work_mem: "256MB" });
  await client.query(
    `INSERT INTO users (organization_id, email, name, created_at, updated_at, created_by, updated_by)
     SELECT $1, 'user' || i || '@bench-bulk.test', 'User ' || i, at, at, 'seed', 'seed'
     FROM (SELECT i, now() - interval '400 days' + i * interval '1 minute' AS at FROM generate_series(1, ${USERS}) i) g`,
    [orgId],
  );
  await client.query(
    `INSERT INTO projects (organization_id, slug, name, created_at, updated_at, created_by, updated_by)
     VALUES ($1, 'bulk', 'The bulk project', now() - interval '390 days', now() - interval '390 days', 'seed', 'seed')`,
    [orgId],
  );
  await client.query(
    `INSERT INTO tasks (organization_id, project_id, title, status, created_at, updated_at, created_by, updated_by)
     SELECT $1, p.id, 'Task ' || i, 'TODO', at, at, 'seed', 'seed'
     FROM projects p, (SELECT i, now() - interval '380 days' + i * interval '5 minutes' AS at
                       FROM generate_series(1, ${tasks}) i) g
     WHERE p.organization_id = $1`,
    [orgId],
  );
  const { rows: indexes } = await client.query<{ name: string; definition: string }>(
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
     FROM pg_index i WHERE i.indrelid = 'task_assignments'::regclass AND NOT i.indisprimary`,
  );
  for (const index of indexes) await client.query(`DROP INDEX ${index.name}`);
  const { rows: role } = await client.query<{ super: boolean }>(
    `SELECT rolsuper AS super FROM pg_roles WHERE rolname = current_user`,
  );
  if (role[0]?.super) await client.query("SET LOCAL session_replication_role = replica");
  await client.query(
    `INSERT INTO task_assignments (organization_id, task_id, user_id, created_at, updated_at, created_by, updated_by)
     SELECT $1, t.id, u.id, t.created_at + interval '1 day', t.created_at + interval '1 day', 'seed', 'seed'
     FROM tasks t CROSS JOIN users u WHERE t.organization_id = $1 AND u.organization_id = $1`,
    [orgId],
  );
  if (role[0]?.super) await client.query("SET LOCAL session_replication_role = origin");
  for (const index of indexes) await client.query(index.definition);
  await client.query("COMMIT");
  return orgId;
}

async function createTemplate(set: DataSet): Promise<Seeded> {
  const url = await createMigratedDatabase(set.template, [COPY_DB]);
  const started = performance.now();
  return withClient(url, async (client) => {
    const orgId = await seed(client, set);
    await client.query("VACUUM (ANALYZE)");
    const seedSeconds = (performance.now() - started) / 1000;
    const { rows } = await client.query<{ rows: number; orphans: number; latest: string; db: string; table: string }>(
      `SELECT count(*)::int AS rows,
         count(*) FILTER (WHERE t.id IS NULL OR u.id IS NULL OR a.organization_id <> $1)::int AS orphans,
         max(a.created_at) AS latest,
         pg_database_size(current_database())::text AS db, pg_total_relation_size('task_assignments')::text AS table
       FROM task_assignments a LEFT JOIN tasks t ON t.id = a.task_id LEFT JOIN users u ON u.id = a.user_id`,
      [orgId],
    );
    const r = rows[0]!;
    if (r.rows !== set.rows || r.orphans !== 0)
      throw new Error(`${set.template}: seeded ${r.rows} assignments (${r.orphans} orphans), expected ${set.rows}`);
    const createdBefore = new Date(new Date(r.latest).getTime() + 1000).toISOString();
    return {
      set,
      orgId,
      createdBefore,
      seedSeconds,
      databaseBytes: Number(r.db),
      tableBytes: Number(r.table),
      plans: await firstBatchPlans(client, orgId, createdBefore),
    };
  });
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

/** The access path to task_assignments in a plan, e.g. "Seq Scan" or "Index Scan using task_assignments_pkey". */
function accessPath(node: PlanNode): string | undefined {
  if (node["Node Type"].endsWith("Scan") && (node["Relation Name"] === "task_assignments" || node["Index Name"])) {
    const child = node.Plans?.map(accessPath).find(Boolean);
    return child ?? `${node["Node Type"]}${node["Index Name"] ? ` using ${node["Index Name"]}` : ""}`;
  }
  for (const p of node.Plans ?? []) {
    const found = accessPath(p);
    if (found) return found;
  }
  return undefined;
}

/**
 * EXPLAIN (not run) of the baseline's keyset SELECT and UPDATE for the first batch. The engine's UPDATE has the
 * same shape (`organization_id = … AND deleted_at IS NULL AND id = ANY(…)`), so it gets the same plan.
 */
async function firstBatchPlans(client: pg.ClientBase, orgId: string, createdBefore: string) {
  const plan = async (text: string, params: unknown[]) => {
    const { rows } = await client.query<{ "QUERY PLAN": { Plan: PlanNode }[] }>(
      `EXPLAIN (FORMAT JSON) ${text}`,
      params,
    );
    return accessPath(rows[0]!["QUERY PLAN"][0]!.Plan) ?? "?";
  };
  const { rows } = await client.query<{ id: string }>(SELECT_FIRST, [orgId, createdBefore, BATCH_SIZE]);
  return {
    select: await plan(SELECT_FIRST, [orgId, createdBefore, BATCH_SIZE]),
    update: await plan(DELETE_WITH_AUDIT, [rows.map((r) => r.id), orgId, randomUUID(), randomUUID(), REASON, SUBJECT]),
  };
}

/** A fresh copy of a seeded template, after a checkpoint so no earlier run's writes are still being flushed. */
const copyTemplate = (template: string) => freshCopy(template, COPY_DB, { checkpoint: true });

// ------------------------------------------------------------------------------------------------ checks

/** Checks one finished operation: every assignment deleted by it, one audit entry each, none left live. */
async function verify(client: pg.ClientBase, label: string, operationId: string, expected: number): Promise<void> {
  const { rows } = await client.query<{ live: number; by_op: number; processed: number | null }>(
    `SELECT (SELECT count(*) FROM task_assignments WHERE deleted_at IS NULL)::int AS live,
       (SELECT count(*) FROM task_assignments WHERE deletion_operation_id = $1 AND deleted_at IS NOT NULL)::int AS by_op,
       (SELECT processed FROM bulk_operations WHERE id = $1) AS processed`,
    [operationId],
  );
  const r = rows[0]!;
  const audit = await auditEntries(client, operationId, "SOFT_DELETE", "TaskAssignment");
  const problems: string[] = [];
  if (r.live !== 0) problems.push(`${r.live} rows left live`);
  if (r.by_op !== expected) problems.push(`${r.by_op} rows deleted by the operation, expected ${expected}`);
  if (audit !== expected) problems.push(`${audit} audit entries, expected ${expected}`);
  if (r.processed !== expected) problems.push(`processed ${r.processed}, expected ${expected}`);
  if (problems.length) throw new Error(`${label}: ${problems.join("; ")}`);
}

/** Sequential and index scans of task_assignments in the measured database, from the cumulative statistics. */
interface Scans {
  seqScans: number;
  /** Rows the sequential scans read. */
  seqRows: number;
  idxScans: number;
}

/**
 * The copy's scan counters, read once every other backend of the database has exited (a backend flushes its
 * statistics when it ends), so they hold exactly what the measured side did. Counters start at zero in a new
 * database.
 */
async function scansOf(monitor: pg.ClientBase): Promise<Scans> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const { rows } = await monitor.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    if (rows[0]!.n === 0) break;
    if (performance.now() > deadline) throw new Error("backends of the measured database did not exit within 10 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  const { rows } = await monitor.query<{ seq: string; rows: string; idx: string }>(
    `SELECT seq_scan AS seq, seq_tup_read AS rows, coalesce(idx_scan, 0) AS idx FROM pg_stat_user_tables
     WHERE relname = 'task_assignments'`,
  );
  return { seqScans: Number(rows[0]!.seq), seqRows: Number(rows[0]!.rows), idxScans: Number(rows[0]!.idx) };
}

// ------------------------------------------------------------------------------------------------ (a) API

const BULK_SOFT_DELETE = `mutation ($before: DateTime!, $reason: String) {
  bulkSoftDelete(filter: { type: TaskAssignment, createdBefore: $before }, reason: $reason) { id status total } }`;
const PROGRESS = `subscription ($id: ID!) {
  bulkOperationProgress(id: $id) { operationId status total processed skipped failed batches } }`;

interface Progress {
  operationId: string;
  status: string;
  total: number | null;
  processed: number;
  skipped: number;
  failed: number;
  batches: number;
}

/** Subscribes to the operation's progress; resolves with every event once the terminal one arrives. */
function progress(client: WsClient, id: string): Promise<{ events: Progress[]; terminalAt: number }> {
  const events: Progress[] = [];
  return new Promise((resolve, reject) => {
    client.subscribe<{ bulkOperationProgress: Progress }>(
      { query: PROGRESS, variables: { id } },
      {
        next: (v) => {
          if (v.errors?.length || !v.data) return reject(new Error(JSON.stringify(v.errors).slice(0, 500)));
          const event = v.data.bulkOperationProgress;
          events.push(event);
          if (["SUCCEEDED", "FAILED", "CANCELLED"].includes(event.status))
            resolve({ events, terminalAt: performance.now() });
        },
        error: reject,
        complete: () => reject(new Error(`the progress stream of ${id} ended without a terminal event`)),
      },
    );
  });
}

interface Run {
  rows: number;
  seconds: number;
  batches: number;
  usage: Usage;
  scans: Scans;
  /** API only. */
  memory?: { idleRss: number; peak: number; events: number; queuedToFinished: number };
}

async function apiRun(seeded: Seeded, label: string, variant: Variant = "default"): Promise<Run> {
  const url = await copyTemplate(seeded.set.template);
  await prepareVariant(url, variant);
  const secret = randomBytes(32).toString("base64url");
  const server = await startServer(url, secret, {
    BULK_BATCH_SIZE: String(BATCH_SIZE),
    ...(variant === "no-rls" ? { ROW_LEVEL_SECURITY: "false" } : {}),
  });
  const pid = server.child.pid!;
  const monitor = new pg.Client({ connectionString: url });
  await monitor.connect();
  const token = await signToken({ sub: SUBJECT, role: "ADMIN", org: ORG_SLUG }, secret, 3_600_000);
  const { client } = wsClient(server.endpoint.toString(), `Bearer ${token}`);
  try {
    // Warm-up: authentication, the organization look-up, Apollo's pipeline, and the WebSocket connection.
    await graphqlData(server.endpoint, token, "{ viewer { subject } }");
    const warm = await wsExec(client, "{ viewer { subject } }");
    if (warm?.errors?.length) throw new Error(`${label}: WebSocket warm-up failed: ${JSON.stringify(warm.errors)}`);
    await monitor.query("CHECKPOINT");
    const idleRss = memoryOf(pid)?.rss ?? NaN;

    const usage = usageSampler(monitor, pid);
    const started = performance.now();
    const queued = await graphqlData<{ bulkSoftDelete: { id: string; total: number } }>(
      server.endpoint,
      token,
      BULK_SOFT_DELETE,
      { before: seeded.createdBefore, reason: REASON },
    );
    const id = queued.bulkSoftDelete.id;
    const { events, terminalAt } = await progress(client, id);
    const seconds = (terminalAt - started) / 1000;
    const used = await usage.stop();
    const peak = memoryOf(pid)?.hwm ?? NaN;

    await client.dispose();
    await server.stop();
    const scans = await scansOf(monitor);

    const last = events.at(-1)!;
    if (queued.bulkSoftDelete.total !== seeded.set.rows)
      throw new Error(`${label}: the operation counted ${queued.bulkSoftDelete.total} target rows`);
    if (last.status !== "SUCCEEDED" || last.processed !== seeded.set.rows || last.skipped || last.failed)
      throw new Error(`${label}: terminal event ${JSON.stringify(last)}`);
    await verify(monitor, label, id, seeded.set.rows);
    const { rows } = await monitor.query<{ s: number }>(
      `SELECT extract(epoch FROM finished_at - created_at)::float8 AS s FROM bulk_operations WHERE id = $1`,
      [id],
    );
    return {
      rows: last.processed,
      seconds,
      batches: last.batches,
      usage: used,
      scans,
      memory: { idleRss, peak, events: events.length, queuedToFinished: rows[0]!.s },
    };
  } finally {
    await client.dispose();
    await server.stop();
    await monitor.end();
  }
}

// ------------------------------------------------------------------------------------------------ (b) baseline

/** The engine's keyset SELECT for this filter. $1 organization, $2 createdBefore, $3 last id, $4 batch size. */
const SELECT_FIRST = `SELECT id FROM task_assignments
  WHERE organization_id = $1 AND deleted_at IS NULL AND created_at < $2::timestamptz
  ORDER BY id LIMIT $3`;
const SELECT_NEXT = `SELECT id FROM task_assignments
  WHERE organization_id = $1 AND deleted_at IS NULL AND created_at < $2::timestamptz AND id > $4::uuid
  ORDER BY id LIMIT $3`;
/** $1 ids, $2 organization, $3 actor, $4 operation, $5 reason, $6 subject. */
const DELETE_WITH_AUDIT = `WITH changed AS (
    UPDATE task_assignments SET deleted_at = now(), deleted_by = $6::text, deletion_reason = $5::text,
      deletion_operation_id = $4::uuid
    WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL
    RETURNING id)
  INSERT INTO audit_log (organization_id, actor_id, action, entity_type, entity_id, operation_id, request_id, reason,
    changed_fields)
  SELECT $2::uuid, $3::uuid, 'SOFT_DELETE', 'TaskAssignment', id, $4::uuid, NULL, $5::text,
    '{deletedAt,deletedBy,deletionReason,deletionOperationId}'::text[]
  FROM changed`;
/** The bookkeeping the engine does per batch: cursor and counters of the operation's row. */
const PROGRESS_UPDATE = `UPDATE bulk_operations SET cursor = to_jsonb($2::text), processed = processed + $3,
    batches = batches + 1, updated_at = now()
  WHERE id = $1`;

async function baselineRun(seeded: Seeded, label: string): Promise<Run> {
  const url = await copyTemplate(seeded.set.template);
  const monitor = new pg.Client({ connectionString: url });
  await monitor.connect();
  try {
    const run = await withClient(url, async (client) => {
      // The actor and the operation row, as the engine's queue and runner create them before the first batch.
      const actorId = await createActor(client, seeded.orgId, SUBJECT);
      const operationId = randomUUID();
      await client.query(
        `INSERT INTO bulk_operations (id, organization_id, kind, status, target, reason, total, created_by, started_at)
         VALUES ($1, $2, 'SOFT_DELETE', 'RUNNING', $3::jsonb, $4, $5, $6, now())`,
        [
          operationId,
          seeded.orgId,
          JSON.stringify({ filter: { type: "TaskAssignment", createdBefore: seeded.createdBefore } }),
          REASON,
          seeded.set.rows,
          SUBJECT,
        ],
      );
      await monitor.query("CHECKPOINT");
      const usage = usageSampler(monitor, undefined);
      const started = performance.now();
      let last: string | null = null;
      let processed = 0;
      let batches = 0;
      for (;;) {
        await client.query("BEGIN");
        const { rows: batch }: { rows: { id: string }[] } = await client.query<{ id: string }>(
          last ? SELECT_NEXT : SELECT_FIRST,
          last
            ? [seeded.orgId, seeded.createdBefore, BATCH_SIZE, last]
            : [seeded.orgId, seeded.createdBefore, BATCH_SIZE],
        );
        let changed = 0;
        if (batch.length) {
          const ids: string[] = batch.map((r) => r.id);
          const res = await client.query(DELETE_WITH_AUDIT, [ids, seeded.orgId, actorId, operationId, REASON, SUBJECT]);
          changed = res.rowCount ?? 0;
          last = ids.at(-1)!;
        }
        await client.query(PROGRESS_UPDATE, [operationId, last, changed]);
        await client.query("COMMIT");
        processed += changed;
        batches++;
        if (batch.length < BATCH_SIZE) break;
      }
      const seconds = (performance.now() - started) / 1000;
      const used = await usage.stop();
      await client.query(
        `UPDATE bulk_operations SET status = 'SUCCEEDED', finished_at = now(), updated_at = now() WHERE id = $1`,
        [operationId],
      );
      return { rows: processed, seconds, batches, usage: used, operationId };
    });
    const scans = await scansOf(monitor);
    await verify(monitor, label, run.operationId, seeded.set.rows);
    return { rows: run.rows, seconds: run.seconds, batches: run.batches, usage: run.usage, scans };
  } finally {
    await monitor.end();
  }
}

// ------------------------------------------------------------------------------------------------ report

const mb = (bytes: number) => bytes / 2 ** 20;

interface SizeResult {
  seeded: Seeded;
  /** The default variant's runs (`variants.default`). */
  api: Run[];
  baseline: Run[];
  /** The API in each variant: everything on, audit rows not hashed, RLS off. */
  variants: Record<Variant, Run[]>;
}

interface Report {
  date: string;
  nodeVersion: string;
  postgresVersion: string;
  postgresSettings: string;
  loadAverage: number;
  loadAverageEnd: number;
  results: SizeResult[];
  seconds: number;
}

const rate = (r: Run) => r.rows / r.seconds;

function renderSection(r: Report): string {
  const small = r.results[0]!;
  const big = r.results[1]!;
  const lines: string[] = [];
  const figures = r.results.map((s) => {
    const api = median(s.api.map(rate));
    const base = median(s.baseline.map(rate));
    return { s, api, base, ratio: api / base };
  });
  for (const f of figures) {
    const rows = num(f.s.seeded.set.rows);
    const row = (side: string, runs: Run[], rowsPerSecond: string, ratio: string) =>
      `| ${rows} | ${side} | ${rowsPerSecond} | ${runs.map((x) => num(x.seconds, 2)).join(" / ")} | ` +
      `${num(median(runs.map((x) => x.usage.postgresCpu)), 1)} | ${num(median(runs.map((x) => x.usage.nodeCpu)), 1)} | ` +
      `${num(median(runs.map((x) => x.batches)))} | ${num(median(runs.map((x) => x.scans.seqScans)))} ` +
      `(${num(median(runs.map((x) => x.scans.seqRows)))}) | ${ratio} |`;
    const verdict = f.s === big ? ` (${f.ratio >= TARGET_RATIO ? "met" : "not met"})` : "";
    lines.push(row("API", f.s.api, `**${num(f.api)}**`, `**${num(f.ratio, 2)}**${verdict}`));
    lines.push(row("SQL baseline", f.s.baseline, num(f.base), "1"));
  }
  const bigRatio = figures[1]!.ratio;
  // Whether each side's UPDATE scanned the table per batch, decided by the measured scan counters.
  const scansPerBatch = (runs: Run[]) =>
    median(runs.map((x) => x.scans.seqScans)) >= median(runs.map((x) => x.batches)) / 2;
  const engineScans = r.results
    .map((s) => {
      const rows = num(s.seeded.set.rows);
      const api = scansPerBatch(s.api);
      const base = scansPerBatch(s.baseline);
      const extra = Math.abs(
        median(s.baseline.map((x) => x.scans.seqScans)) - median(s.api.map((x) => x.scans.seqScans)),
      );
      if (api === base) return `At ${rows} rows ${api ? "both sides" : "neither side"} scanned the table per batch.`;
      if (api) return `At ${rows} rows the engine's UPDATE scanned the table per batch and the baseline's did not.`;
      return (
        `At ${rows} rows the engine's UPDATE did not scan the table per batch (src/engine/bulk/batch.ts bounds its ` +
        `\`id = ANY(…)\` by the batch's id range, \`AND id BETWEEN min AND max\`, which PostgreSQL answers with a ` +
        `primary-key range scan) while the baseline as specified did, ${num(extra)} more full scans: part of the ` +
        `API / baseline ratio comes from that, not from the API being cheaper than SQL.`
      );
    })
    .join(" ");
  const peaks = (s: SizeResult) => s.api.map((x) => x.memory!.peak);
  const growth = Math.max(...peaks(big)) - Math.min(...peaks(small));
  const memRow = (s: SizeResult) =>
    `| ${num(s.seeded.set.rows)} | ${s.api.map((x) => num(mb(x.memory!.idleRss))).join(" / ")} | ` +
    `${s.api.map((x) => num(mb(x.usage.maxSampledRss ?? NaN))).join(" / ")} | ` +
    `${s.api.map((x) => (x.usage.rssHalves ?? [NaN, NaN]).map((v) => num(mb(v))).join(" → ")).join(" / ")} | ` +
    `**${s.api.map((x) => num(mb(x.memory!.peak))).join(" / ")}** | ${s.api.map((x) => num(x.memory!.events)).join(" / ")} |`;
  const cpuRatio = (s: SizeResult) =>
    median(s.baseline.map((x) => x.usage.postgresCpu + x.usage.nodeCpu)) /
    median(s.api.map((x) => x.usage.postgresCpu + x.usage.nodeCpu));
  const dbSide = (s: SizeResult) => median(s.api.map((x) => s.seeded.set.rows / x.memory!.queuedToFinished));
  const sets = r.results
    .map(
      (s) =>
        `\`${s.seeded.set.template}\` with ${num(s.seeded.set.rows)} (${num(s.seeded.set.rows / USERS)} tasks × ` +
        `${num(USERS)} users; ${num(mb(s.seeded.databaseBytes))} MB, the assignments ${num(mb(s.seeded.tableBytes))} MB ` +
        `with indexes, seeded in ${num(s.seeded.seedSeconds, 1)} s)`,
    )
    .join(" and ");
  return [
    SECTION,
    "",
    `Run on ${r.date} with \`${COMMAND}\` (\`npm run build\`, then \`node --import @swc-node/register/esm-register ` +
      `bench/bulk.ts\`): Node ${r.nodeVersion}, PostgreSQL ${r.postgresVersion} (${r.postgresSettings}), ` +
      `${os.cpus().length} cores / ${Math.round(os.totalmem() / 2 ** 30)} GiB, 1-minute load average ` +
      `${num(r.loadAverage, 1)} at the start and ${num(r.loadAverageEnd, 1)} at the end; the whole run took ` +
      `${num(r.seconds)} s. Server: \`node dist/src/server/main.js\` as a child process (NODE_ENV=production, ` +
      `LOG_LEVEL=silent, BULK_BATCH_SIZE=${BATCH_SIZE}, other settings at their defaults) on 127.0.0.1, a fresh ` +
      `process per run. Bench, server and PostgreSQL share the machine's cores.`,
    "",
    "### Data set",
    "",
    `Two template databases seeded set-based (generate_series), then VACUUM ANALYZE: one organization, ` +
      `${num(USERS)} users, one project, its tasks, and every task × user pair as a live task assignment: ${sets}. ` +
      `TaskAssignment was chosen because nothing cascades below it, so per batch the engine, like the baseline, ` +
      `changes rows with one UPDATE + audit statement (a Comment target would add one empty \`UPDATE … WHERE ` +
      `parent_id = ANY(…)\` per batch for Comment.replies). Every run works on a fresh copy (\`CREATE DATABASE … TEMPLATE … STRATEGY ` +
      `FILE_COPY\`) after a CHECKPOINT.`,
    "",
    "### Results",
    "",
    `Soft delete of every assignment by filter (\`bulkSoftDelete(filter: { type: TaskAssignment, createdBefore: … }, ` +
      `reason: "bench")\`), batches of ${num(BATCH_SIZE)}; ${r.results[0]!.api.length} round(s) per size, rounds ` +
      `alternate which side runs first; rows/s is the median of the rounds.`,
    "",
    "| rows | side | rows/s | each round, s | PostgreSQL CPU s | Node CPU s | batches | sequential scans (rows read) | API / baseline |",
    "|---:|---|---:|---|---:|---:|---:|---:|---:|",
    ...lines,
    "",
    "### What the audit hash chain and row-level security cost",
    "",
    `The same bulk soft delete through the API in each variant, each on a fresh copy, in the same rounds (median ` +
      `rows/s). "Audit rows not hashed": the copy's chain trigger disabled, so audit rows are written as before the ` +
      `chain. "RLS off": the server runs with ROW_LEVEL_SECURITY=false, so its transactions send no role or ` +
      `organization setting and run as the bench's superuser connection. The cost column is how much faster the ` +
      `variant is than the default, i.e. what the feature costs.`,
    "",
    ...variantTable(
      r.results.map((s) => `${num(s.seeded.set.rows)} rows`),
      (v, size) => r.results.find((s) => `${num(s.seeded.set.rows)} rows` === size)!.variants[v].map(rate),
      num,
    ),
    "",
    "| rows | server RSS idle, MB | largest VmRSS sampled, MB | largest VmRSS, first → second half, MB | peak RSS (VmHWM), MB | progress events |",
    "|---:|---:|---:|---:|---:|---:|",
    memRow(small),
    memRow(big),
    "",
    `- Targets: API at least ${TARGET_RATIO} × the baseline's rows/s at ${num(big.seeded.set.rows)} rows: ` +
      `**${num(bigRatio, 2)}** (${bigRatio >= TARGET_RATIO ? "met" : "not met"}); peak RSS growth from ` +
      `${num(small.seeded.set.rows)} to ${num(big.seeded.set.rows)} rows under ${RSS_GROWTH_TARGET_MB} MB: ` +
      `**${num(mb(growth), 1)} MB** (${mb(growth) < RSS_GROWTH_TARGET_MB ? "met" : "not met"}; the largest peak at ` +
      `${num(big.seeded.set.rows)} minus the smallest at ${num(small.seeded.set.rows)}).`,
    `- API: wall time from sending the mutation over HTTP to receiving the terminal (SUCCEEDED) event of ` +
      `\`bulkOperationProgress(id)\` over a graphql-ws WebSocket opened (and warmed up) beforehand. It includes the ` +
      `mutation's count of the target, the runner's pick-up (woken by NOTIFY), and per batch the operation's re-read, ` +
      `\`SELECT … FOR UPDATE\` of its row, a savepoint, the progress UPDATE (with the skipped-reasons jsonb merge) ` +
      `and a NOTIFY, whose subscriber re-reads the row. On the database's clock (created_at to finished_at of the ` +
      `operation) the API ran at ${figures.map((f) => `${num(dbSide(f.s))} rows/s at ${num(f.s.seeded.set.rows)}`).join(", ")}.`,
    `- SQL baseline: one pg connection, one transaction per batch: the engine's keyset \`SELECT id … WHERE ` +
      `organization_id = $1 AND deleted_at IS NULL AND created_at < $2 AND id > $last ORDER BY id LIMIT ${BATCH_SIZE}\`, ` +
      `then \`WITH changed AS (UPDATE task_assignments SET deleted_at = now(), deleted_by, deletion_reason, ` +
      `deletion_operation_id WHERE id = ANY($1) AND deleted_at IS NULL RETURNING id) INSERT INTO audit_log … SELECT … ` +
      `FROM changed\`, and a progress UPDATE of a bulk_operations row (cursor, processed, batches), to match the ` +
      `engine's bookkeeping; no NOTIFY. Timed from the first BEGIN to the last COMMIT; the actor and the operation ` +
      `row are created before.`,
    `- Plans: EXPLAIN of the baseline's first batch on each template: the keyset SELECT reads ` +
      `${r.results.map((s) => `${s.seeded.plans.select} (${num(s.seeded.set.rows)})`).join(", ")}; the UPDATE of ` +
      `${num(BATCH_SIZE)} ids by \`id = ANY($1)\` reads ` +
      `${r.results.map((s) => `${s.seeded.plans.update} (${num(s.seeded.set.rows)})`).join(", ")}. The ids are ` +
      `random UUIDs (gen_random_uuid), so a batch's rows lie on as many scattered pages, and PostgreSQL prefers ` +
      `a sequential scan of the whole table to ${num(BATCH_SIZE)} index probes: that part of a batch grows with ` +
      `the table, not with the batch. "Sequential scans" counts, from the database's cumulative statistics ` +
      `(\`pg_stat_user_tables\` of the fresh copy, read after the measured side disconnected), the sequential ` +
      `scans of task_assignments each side made and the rows they read; the API's include the mutation's count ` +
      `of the target. ${engineScans}`,
    `- CPU: the PostgreSQL backends connected to the measured database (/proc, sampled every 100 ms so backends ` +
      `that disconnect still count) and the Node side (the server child for the API, the bench process for the ` +
      `baseline). From CPU seconds (PostgreSQL + Node) the baseline / API ratio is ` +
      `${r.results.map((s) => `${num(cpuRatio(s), 2)} at ${num(s.seeded.set.rows)}`).join(", ")}; the machine is ` +
      `shared, so wall time moves with its other load and CPU seconds much less.`,
    `- Memory: the server child's VmRSS at idle after the warm-up, the largest VmRSS seen by a 100 ms sampler ` +
      `during the run (and in each half of it: a leak would keep climbing in the second half), and VmHWM (the kernel's peak RSS of the process) read just before the terminal event's ` +
      `check; one value per round.`,
    `- Checked after every run: the terminal event and the operation row say processed = rows with nothing ` +
      `skipped or failed; one SOFT_DELETE audit entry per row under the operation id; every row deleted by that ` +
      `operation and none left live.`,
  ].join("\n");
}

// ------------------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const started = performance.now();
  const loadAverage = loadAverageAtStart(say);
  const seededSets: Seeded[] = [];
  for (const set of SETS) {
    say(`creating and seeding ${set.template} (${num(set.rows)} assignments)`);
    const seeded = await createTemplate(set);
    say(
      `seeded in ${num(seeded.seedSeconds, 1)} s (${num(mb(seeded.databaseBytes))} MB); first batch: SELECT ` +
        `${seeded.plans.select}, UPDATE ${seeded.plans.update}`,
    );
    seededSets.push(seeded);
  }
  const { postgresVersion, settings } = await withClient(maintenanceUrl(), async (client) => ({
    settings: await postgresSettings(client),
    postgresVersion: (await serverVersion(client)).split(" ")[0]!,
  }));

  const results: SizeResult[] = seededSets.map((seeded) => {
    const variants: Record<Variant, Run[]> = { default: [], "no-chain": [], "no-rls": [] };
    return { seeded, api: variants.default, baseline: [], variants };
  });
  const show = (label: string, r: Run) =>
    say(
      `${label}: ${num(r.rows)} rows in ${num(r.seconds, 2)} s = ${num(rate(r))} rows/s, ${r.batches} batches, ` +
        `PostgreSQL CPU ${num(r.usage.postgresCpu, 1)} s, Node CPU ${num(r.usage.nodeCpu, 1)} s` +
        (r.memory
          ? `, RSS idle ${num(mb(r.memory.idleRss))} MB, peak ${num(mb(r.memory.peak))} MB, ${r.memory.events} events`
          : ""),
    );
  try {
    for (const result of results) {
      for (let round = 1; round <= ROUNDS; round++) {
        const rows = num(result.seeded.set.rows);
        await runRound(
          round,
          `${rows} rows, round ${round},`,
          {
            api: (variant, label) => apiRun(result.seeded, label, variant),
            baseline: (label) => baselineRun(result.seeded, label),
          },
          result,
          show,
        );
      }
    }
  } finally {
    await dropDatabases(COPY_DB);
  }

  const report: Report = {
    date: new Date().toISOString().slice(0, 10),
    nodeVersion: process.version,
    postgresVersion,
    postgresSettings: settings,
    loadAverage,
    loadAverageEnd: os.loadavg()[0]!,
    results,
    seconds: (performance.now() - started) / 1000,
  };
  const section = renderSection(report);
  process.stdout.write(`\n${section}\n`);
  if (await writeBenchmarkSection("bench:bulk", section, { ...report, command: COMMAND }))
    say(`wrote the "${SECTION}" section of BENCHMARKS.md`);
}

await main();
