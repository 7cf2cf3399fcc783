/**
 * `npm run bench:cascade`: rows per second of a large cascading soft delete and its exact restore through the
 * GraphQL API over HTTP, next to the same work written by hand as SQL and sent through node-postgres.
 *
 * 1. Creates the PostgreSQL database `sdg_bench_cascade` (dropped first), migrates it and seeds it with set-based
 *    SQL (generate_series, fixed random seed): one organization, 200 users, one big project with 50,000 tasks,
 *    200,000 comments (a quarter of them replies through parent_id) and 37,500 assignments, and 4 small projects;
 *    4% of the big project's replies (1% of its comments) and of its assignments were deleted earlier by another
 *    operation, so the restore must leave them deleted. Then VACUUM ANALYZE. This database is only the template.
 * 2. Each measurement runs on a fresh copy (`CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY`), after a CHECKPOINT:
 *    (a) API: the app built in-process by `createApp` (engine defaults, pg pool of 10) listening on 127.0.0.1:0;
 *        `softDelete(id: <big project>, reason: "bench")` then `restore(id: …)` posted with an ADMIN token;
 *    (b) baseline: one transaction of hand-written `WITH changed AS (UPDATE … RETURNING id) INSERT INTO audit_log …
 *        RETURNING entity_id` statements, one per relation per level, each level given the ids the previous one
 *        returned (as the engine does); then the restore likewise by deletion_operation_id.
 *    (c) the API again with the audit hash chain off and with row-level security off (bench/support/variants.ts).
 *    Rounds rotate which side runs first; each is repeated BENCH_ROUNDS times and the median is kept.
 * 3. After every delete and restore it checks the subtree: every live row deleted by that operation and exactly
 *    those restored (the earlier deletions keep theirs), one audit entry per changed row, and no live row under a
 *    deleted parent anywhere.
 * 4. Prints the table and writes it to the "## bench:cascade" section of BENCHMARKS.md.
 *
 * The API's time is the wall time of the HTTP request, seen from the client; the baseline's is BEGIN to COMMIT.
 * rows/s counts rows changed (project + tasks + comments + assignments); audit entries come on top for both.
 *
 * Environment: BENCH_DATABASE_URL (a PostgreSQL on this machine; default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_ROUNDS (default 3).
 */
import { writeBenchmarkSection } from "./support/benchmarks-file.js";
import { auditEntries, checkConsistency } from "./support/consistency.js";
import {
  beginSeed,
  createActor,
  createMigratedDatabase,
  databaseUrl,
  dropDatabases,
  freshCopy,
  postgresSettings,
  serverVersion,
  withClient,
} from "./support/databases.js";
import { envInt, loadAverageAtStart, sayer } from "./support/env.js";
import { cpuDelta, cpuSnapshot } from "./support/proc.js";
import { graphqlData, postGraphql } from "./support/server.js";
import { median, num } from "./support/stats.js";
import { prepareVariant, runRound, type Variant, variantTable } from "./support/variants.js";
import "reflect-metadata";
import { randomBytes, randomUUID } from "node:crypto";
import os from "node:os";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { pino } from "pino";
import { signToken } from "../src/auth/token.js";
import { connect } from "../src/db/connect.js";
import { toGlobalId } from "../src/graphql/ids.js";
import { createApp } from "../src/server/app.js";
import { createServices } from "../src/server/services.js";

// ------------------------------------------------------------------------------------------------ settings

const SECTION = "## bench:cascade";
const COMMAND = "npm run bench:cascade";
const TEMPLATE_DB = "sdg_bench_cascade";
const COPY_DB = "sdg_bench_cascade_run";
const ORG_SLUG = "bench-cascade";
const SUBJECT = "admin@bench-cascade.test";
const REASON = "bench";

const SIZES = {
  users: 200,
  bigTasks: 50_000,
  smallProjects: 4,
  smallTasks: 1_000,
  commentsPerTask: 4,
} as const;
/** Each of a task's comments after the first replies to the first with this probability. */
const REPLY_PROBABILITY = 1 / 3;
/** Share of replies and of assignments deleted before the bench by an older operation. */
const PREDELETED_SHARE = 0.04;

const ROUNDS = envInt("BENCH_ROUNDS", 3, 1, 9);
/** Met when the API reaches this share of the hand-written SQL's rows/s. */
const TARGET_RATIO = 0.7;

const say = sayer("bench:cascade");

// ------------------------------------------------------------------------------------------------ seed

/**
 * Set-based seed of one organization ($1) in one transaction; $2 is the operation id of the earlier deletions.
 * Ids are drawn into temporary tables first so that children can be joined to their parents by number.
 */
function seedStatements(): string[] {
  const s = SIZES;
  return [
    `SELECT setseed(0.2718)`,
    `INSERT INTO users (organization_id, email, name, created_at, updated_at, created_by, updated_by)
     SELECT $1, 'user' || i || '@bench-cascade.test', 'User ' || i, at, at, 'seed', 'seed'
     FROM (SELECT i, now() - interval '400 days' + i * interval '1 minute' AS at FROM generate_series(1, ${s.users}) i) g`,
    `CREATE TEMP TABLE seed_users ON COMMIT DROP AS
       SELECT id, (row_number() OVER (ORDER BY created_at) - 1)::int AS n FROM users WHERE organization_id = $1`,
    // Project 0 is the big one.
    `CREATE TEMP TABLE seed_projects ON COMMIT DROP AS
       SELECT p AS n, gen_random_uuid() AS id, CASE WHEN p = 0 THEN ${s.bigTasks} ELSE ${s.smallTasks} END AS tasks
       FROM generate_series(0, ${s.smallProjects}) p`,
    `INSERT INTO projects (id, organization_id, slug, name, description, lead_id, created_at, updated_at, created_by,
       updated_by)
     SELECT sp.id, $1, CASE WHEN sp.n = 0 THEN 'big' ELSE 'small-' || sp.n END,
       CASE WHEN sp.n = 0 THEN 'The big project' ELSE 'Small project ' || sp.n END, 'What it is about.', u.id,
       now() - interval '390 days', now() - interval '390 days', 'seed', 'seed'
     FROM seed_projects sp JOIN seed_users u ON u.n = sp.n`,
    `CREATE TEMP TABLE seed_tasks ON COMMIT DROP AS
       SELECT gen_random_uuid() AS id, p.id AS project_id, i AS n,
         now() - interval '380 days' + i * interval '5 minutes' AS created_at
       FROM seed_projects p, generate_series(1, p.tasks) i`,
    `INSERT INTO tasks (id, organization_id, project_id, title, description, status, created_at, updated_at,
       created_by, updated_by)
     SELECT id, $1, project_id, 'Task ' || n, 'Details of task ' || n, (ARRAY['TODO', 'IN_PROGRESS', 'DONE'])[1 + n % 3],
       created_at, created_at, 'seed', 'seed'
     FROM seed_tasks`,
    // The first comment of a task is top-level; each later one may reply to it. Only replies (leaves) are
    // pre-deleted, so no live reply ever sits under a deleted comment.
    `CREATE TEMP TABLE seed_comments ON COMMIT DROP AS
       SELECT gen_random_uuid() AS id, t.id AS task_id, t.n AS task_n, j, t.created_at + j * interval '1 hour' AS created_at,
         j > 0 AND random() < ${REPLY_PROBABILITY} AS is_reply, floor(random() * ${s.users})::int AS author_n,
         random() AS r_len, random() AS r_del
       FROM seed_tasks t, generate_series(0, ${s.commentsPerTask - 1}) j`,
    `INSERT INTO comments (id, organization_id, task_id, author_id, parent_id, body, created_at, updated_at, created_by,
       updated_by, deleted_at, deleted_by, deletion_reason, deletion_operation_id)
     SELECT c.id, $1, c.task_id, u.id, f.id,
       'Comment ' || c.task_n || '.' || c.j || ': ' || repeat('lorem ipsum dolor sit amet ', 1 + floor(c.r_len * 10)::int),
       c.created_at, c.created_at, 'seed', 'seed',
       CASE WHEN del THEN now() - interval '10 days' END, CASE WHEN del THEN 'seed' END,
       CASE WHEN del THEN 'off topic' END, CASE WHEN del THEN $2::uuid END
     FROM (SELECT *, is_reply AND r_del < ${PREDELETED_SHARE} AS del FROM seed_comments) c
     JOIN seed_users u ON u.n = c.author_n
     LEFT JOIN seed_comments f ON c.is_reply AND f.task_id = c.task_id AND f.j = 0`,
    // Three tasks in four have one assignee.
    `INSERT INTO task_assignments (organization_id, task_id, user_id, created_at, updated_at, created_by, updated_by,
       deleted_at, deleted_by, deletion_reason, deletion_operation_id)
     SELECT $1, t.id, u.id, t.created_at, t.created_at, 'seed', 'seed',
       CASE WHEN del THEN now() - interval '10 days' END, CASE WHEN del THEN 'seed' END,
       CASE WHEN del THEN 'reassigned' END, CASE WHEN del THEN $2::uuid END
     FROM (SELECT *, random() < ${PREDELETED_SHARE} AS del FROM seed_tasks WHERE n % 4 <> 0) t
     JOIN seed_users u ON u.n = t.n % ${s.users}`,
  ];
}

interface Seeded {
  orgId: string;
  projectId: string;
  seedSeconds: number;
  databaseBytes: number;
}

async function createTemplate(): Promise<Seeded> {
  const url = await createMigratedDatabase(TEMPLATE_DB, [COPY_DB]);
  const started = performance.now();
  return withClient(url, async (client) => {
    const orgId = await beginSeed(client, { slug: ORG_SLUG, name: "Bench cascade" }, { work_mem: "64MB" });
    const earlierOp = randomUUID();
    for (const statement of seedStatements()) {
      const params = statement.includes("$2") ? [orgId, earlierOp] : statement.includes("$1") ? [orgId] : [];
      await client.query(statement, params);
    }
    await client.query("COMMIT");
    await client.query("VACUUM (ANALYZE)");
    const project = await client.query<{ id: string }>(`SELECT id FROM projects WHERE slug = 'big'`);
    const size = await client.query<{ bytes: string }>(`SELECT pg_database_size(current_database()) AS bytes`);
    await checkConsistency(client, "after seeding");
    return {
      orgId,
      projectId: project.rows[0]!.id,
      seedSeconds: (performance.now() - started) / 1000,
      databaseBytes: Number(size.rows[0]!.bytes),
    };
  });
}

/** A fresh copy of the seeded template (each measurement's `timed` runs a CHECKPOINT before it starts). */
const copyTemplate = () => freshCopy(TEMPLATE_DB, COPY_DB);

// ------------------------------------------------------------------------------------------------ checks

const TABLES = ["projects", "tasks", "comments", "task_assignments"] as const;
type Table = (typeof TABLES)[number];

interface TableState {
  live: number;
  deleted: number;
  /** Rows whose deletion_operation_id is the operation asked about. */
  byOperation: number;
}
type SubtreeState = Record<Table, TableState>;

/** The big project's subtree, per table, and how many rows carry `operationId`. */
async function subtreeState(client: pg.ClientBase, projectId: string, operationId: string): Promise<SubtreeState> {
  const counts = `count(*) FILTER (WHERE x.deleted_at IS NULL)::int AS live,
    count(*) FILTER (WHERE x.deleted_at IS NOT NULL)::int AS deleted,
    count(*) FILTER (WHERE x.deletion_operation_id = $2)::int AS by_operation`;
  const from: Record<Table, string> = {
    projects: `projects x WHERE x.id = $1`,
    tasks: `tasks x WHERE x.project_id = $1`,
    comments: `comments x JOIN tasks t ON t.id = x.task_id WHERE t.project_id = $1`,
    task_assignments: `task_assignments x JOIN tasks t ON t.id = x.task_id WHERE t.project_id = $1`,
  };
  const state = {} as SubtreeState;
  for (const table of TABLES) {
    const { rows } = await client.query<{ live: number; deleted: number; by_operation: number }>(
      `SELECT ${counts} FROM ${from[table]}`,
      [projectId, operationId],
    );
    const r = rows[0]!;
    state[table] = { live: r.live, deleted: r.deleted, byOperation: r.by_operation };
  }
  return state;
}

const total = (s: SubtreeState, key: keyof TableState) => TABLES.reduce((n, t) => n + s[t][key], 0);

/**
 * Checks the subtree after a delete (`phase` "delete": every row live before now deleted by `operationId`) or a
 * restore ("restore": exactly the rows the delete changed live again), and the audit entries of `auditOperation`.
 * Returns the number of rows changed.
 */
async function verify(
  client: pg.ClientBase,
  label: string,
  phase: "delete" | "restore",
  projectId: string,
  before: SubtreeState,
  deleteOperation: string,
  auditOperation: string,
): Promise<number> {
  const after = await subtreeState(client, projectId, deleteOperation);
  const problems: string[] = [];
  for (const table of TABLES) {
    const b = before[table];
    const a = after[table];
    const expected: TableState =
      phase === "delete"
        ? { live: 0, deleted: b.live + b.deleted, byOperation: b.live }
        : { live: b.live, deleted: b.deleted, byOperation: 0 };
    if (a.live !== expected.live || a.deleted !== expected.deleted || a.byOperation !== expected.byOperation)
      problems.push(`${table}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(a)}`);
  }
  const changed = total(before, "live");
  const audit = await auditEntries(client, auditOperation, phase === "delete" ? "SOFT_DELETE" : "RESTORE");
  if (audit !== changed) problems.push(`${audit} audit entries for ${changed} rows changed`);
  if (problems.length) throw new Error(`${label} ${phase}: ${problems.join("; ")}`);
  await checkConsistency(client, `${label} after the ${phase}`);
  return changed;
}

// ------------------------------------------------------------------------------------------------ CPU accounting

/**
 * Times `work` after a CHECKPOINT (so no earlier writes are being flushed meanwhile), with its CPU, sampling every
 * 100 ms whether the database's active backends wait on something (I/O, a lock) or not (running, or runnable and
 * waiting for a core).
 */
async function timed<T>(monitor: pg.ClientBase, work: () => Promise<T>): Promise<{ result: T; time: Timing }> {
  await monitor.query("CHECKPOINT");
  const before = await cpuSnapshot(monitor);
  const samples = { all: 0, notWaiting: 0 };
  let running = true;
  const sampler = (async () => {
    while (running) {
      const { rows } = await monitor.query<{ waiting: boolean }>(
        `SELECT wait_event IS NOT NULL AS waiting FROM pg_stat_activity
         WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`,
      );
      for (const r of rows) {
        samples.all++;
        if (!r.waiting) samples.notWaiting++;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const started = performance.now();
  let result: T;
  try {
    result = await work();
  } finally {
    running = false;
    await sampler;
  }
  const seconds = (performance.now() - started) / 1000;
  // CPU of the PostgreSQL backends connected to the copy (/proc) and of this process (bench client and, for the
  // API, the in-process server); none read means /proc was not there to read.
  const after = await cpuSnapshot(monitor);
  const cpu = cpuDelta(before, after);
  return {
    result,
    time: { seconds, postgresCpu: after.backends.size ? cpu.postgres : undefined, nodeCpu: cpu.self, samples },
  };
}

interface Timing {
  seconds: number;
  postgresCpu: number | undefined;
  nodeCpu: number;
  /** Samples of active backends, and how many of them were not waiting on I/O or a lock. */
  samples: { all: number; notWaiting: number };
}

// ------------------------------------------------------------------------------------------------ (a) API

const SOFT_DELETE = `mutation ($id: ID!, $reason: String) {
  softDelete(id: $id, reason: $reason) { operationId node { id isDeleted } cascaded { type count } } }`;
const RESTORE = `mutation ($id: ID!) { restore(id: $id) { operationId node { id isDeleted } cascaded { type count } } }`;

interface MutationData {
  operationId: string;
  node: { id: string; isDeleted: boolean };
  cascaded: { type: string; count: number }[];
}

interface Measured extends Timing {
  rows: number;
  /** SQL statements sent (the API: counted by drizzle's logger, including the request's own look-ups). */
  statements: number;
}

interface Round {
  delete: Measured;
  restore: Measured;
}

const post = (endpoint: string, token: string, query: string, variables: Record<string, unknown>) =>
  graphqlData<Record<string, MutationData>>(endpoint, token, query, variables);

async function apiRound(url: string, seeded: Seeded, label: string, variant: Variant = "default"): Promise<Round> {
  await prepareVariant(url, variant);
  let statements = 0;
  const handle = await connect({ url, poolMax: 10, logger: { logQuery: () => void statements++ } });
  const secret = randomBytes(32).toString("base64url");
  // Engine defaults (but for the variant); the bulk runner is not started (nothing here queues bulk work).
  const services = createServices(handle, { engine: { rowLevelSecurity: variant !== "no-rls" } });
  const app = await createApp({
    handle,
    engine: services.engine,
    bulk: services.bulk,
    secret,
    log: pino({ level: "silent" }),
    limits: { maxDepth: 12, maxCost: 200_000, maxAliases: 100, maxReasonLength: 1000, maxTextLength: 10_000 },
  });
  const monitor = new pg.Client({ connectionString: url });
  await monitor.connect();
  try {
    const endpoint = await app.listen(0, "127.0.0.1");
    const token = await signToken({ sub: SUBJECT, role: "ADMIN", org: ORG_SLUG }, secret, 3_600_000);
    const id = toGlobalId("Project", seeded.projectId);
    // Warm-up: authentication, the organization look-up and Apollo's pipeline.
    const warm = await postGraphql(endpoint, token, "{ viewer { subject } }");
    if (warm.status !== 200) throw new Error(`warm-up: HTTP ${warm.status}`);
    const before = await subtreeState(monitor, seeded.projectId, randomUUID());

    statements = 0;
    const del = await timed(monitor, () => post(endpoint, token, SOFT_DELETE, { id, reason: REASON }));
    const deleted = del.result.softDelete!;
    const deleteStatements = statements;
    if (!deleted.node.isDeleted) throw new Error(`${label}: softDelete returned a live node`);
    const rows = await verify(
      monitor,
      label,
      "delete",
      seeded.projectId,
      before,
      deleted.operationId,
      deleted.operationId,
    );
    const cascaded = deleted.cascaded.reduce((n, c) => n + c.count, 0);
    if (cascaded + 1 !== rows)
      throw new Error(`${label}: softDelete reports ${cascaded} cascaded rows, not ${rows - 1}`);

    statements = 0;
    const res = await timed(monitor, () => post(endpoint, token, RESTORE, { id }));
    const restored = res.result.restore!;
    const restoreStatements = statements;
    if (restored.node.isDeleted) throw new Error(`${label}: restore returned a deleted node`);
    await verify(monitor, label, "restore", seeded.projectId, before, deleted.operationId, restored.operationId);
    const restoredCount = restored.cascaded.reduce((n, c) => n + c.count, 0);
    if (restoredCount + 1 !== rows) throw new Error(`${label}: restore reports ${restoredCount} rows, not ${rows - 1}`);
    return {
      delete: { ...del.time, rows, statements: deleteStatements },
      restore: { ...res.time, rows, statements: restoreStatements },
    };
  } finally {
    await monitor.end();
    await app.close();
    await services.close();
    await handle.close();
  }
}

// ------------------------------------------------------------------------------------------------ (b) baseline

const DELETION_FIELDS = `'{deletedAt,deletedBy,deletionReason,deletionOperationId}'::text[]`;

/**
 * `WITH changed AS (UPDATE …) INSERT INTO audit_log … RETURNING entity_id`: the changed ids come back for the next
 * level. $1 organization, $2 actor, $3 this operation, $4 reason, $6 the parent id(s).
 */
const withAudit = (update: string, action: string, entityType: string) =>
  `WITH changed AS (${update} RETURNING id)
   INSERT INTO audit_log (organization_id, actor_id, action, entity_type, entity_id, operation_id, request_id, reason,
     changed_fields)
   SELECT $1::uuid, $2::uuid, '${action}', '${entityType}', id, $3::uuid, NULL, $4::text, ${DELETION_FIELDS} FROM changed
   RETURNING entity_id AS id`;

/** $5 is the actor's subject. */
const SET_DELETED = `SET deleted_at = now(), deleted_by = $5::text, deletion_reason = $4::text, deletion_operation_id = $3::uuid`;
const SET_LIVE = `SET deleted_at = NULL, deleted_by = NULL, deletion_reason = NULL, deletion_operation_id = NULL`;
const deleteWhere = (table: string, where: string, entityType: string) =>
  withAudit(
    `UPDATE ${table} ${SET_DELETED} WHERE ${where} AND organization_id = $1 AND deleted_at IS NULL`,
    "SOFT_DELETE",
    entityType,
  );
/** $5 is the delete's operation id: exactly the rows it deleted come back. */
const restoreWhere = (table: string, where: string, entityType: string) =>
  withAudit(
    `UPDATE ${table} ${SET_LIVE} WHERE ${where} AND organization_id = $1 AND deletion_operation_id = $5::uuid`,
    "RESTORE",
    entityType,
  );

/**
 * The cascade as hand-written SQL: per level one statement per relation, the next level found by the ids the
 * previous one returned (as the engine does), all in one transaction.
 */
const BASELINE = {
  delete: {
    project: deleteWhere("projects", "id = $6::uuid", "Project"),
    tasks: deleteWhere("tasks", "project_id = $6::uuid", "Task"),
    comments: deleteWhere("comments", "task_id = ANY($6::uuid[])", "Comment"),
    assignments: deleteWhere("task_assignments", "task_id = ANY($6::uuid[])", "TaskAssignment"),
    // Replies (on any task) to the comments just deleted; here the task level already took them all.
    replies: deleteWhere("comments", "parent_id = ANY($6::uuid[])", "Comment"),
  },
  restore: {
    project: restoreWhere("projects", "id = $6::uuid", "Project"),
    tasks: restoreWhere("tasks", "project_id = $6::uuid", "Task"),
    // Comments and their replies alike: the operation id says which ones the delete took.
    comments: restoreWhere("comments", "task_id = ANY($6::uuid[])", "Comment"),
    assignments: restoreWhere("task_assignments", "task_id = ANY($6::uuid[])", "TaskAssignment"),
    replies: restoreWhere("comments", "parent_id = ANY($6::uuid[])", "Comment"),
  },
};
/** BEGIN, the five statements, COMMIT. */
const BASELINE_STATEMENTS = 7;

/** The cascade of BASELINE[kind] in one transaction; returns the rows changed. */
async function baselineCascade(
  client: pg.ClientBase,
  kind: "delete" | "restore",
  p: { orgId: string; actorId: string; operationId: string; reason: string | null; fifth: string; projectId: string },
): Promise<number> {
  const statements = BASELINE[kind];
  const run = async (statement: string, parents: string | string[]) => {
    const { rows } = await client.query<{ id: string }>(statement, [
      p.orgId,
      p.actorId,
      p.operationId,
      p.reason,
      p.fifth,
      parents,
    ]);
    return rows.map((r) => r.id);
  };
  await client.query("BEGIN");
  try {
    const project = await run(statements.project, p.projectId);
    const tasks = await run(statements.tasks, p.projectId);
    const comments = await run(statements.comments, tasks);
    const assignments = await run(statements.assignments, tasks);
    const replies = await run(statements.replies, comments);
    await client.query("COMMIT");
    return project.length + tasks.length + comments.length + assignments.length + replies.length;
  } catch (err) {
    await client.query("ROLLBACK");
    throw err;
  }
}

async function baselineRound(url: string, seeded: Seeded, label: string): Promise<Round> {
  const monitor = new pg.Client({ connectionString: url });
  await monitor.connect();
  return withClient(url, async (client) => {
    // The actor row, outside the timed work (the engine caches it).
    const actorId = await createActor(client, seeded.orgId, SUBJECT);
    const common = { orgId: seeded.orgId, actorId, projectId: seeded.projectId };
    const before = await subtreeState(client, seeded.projectId, randomUUID());

    const deleteOperation = randomUUID();
    const del = await timed(monitor, () =>
      baselineCascade(client, "delete", { ...common, operationId: deleteOperation, reason: REASON, fifth: SUBJECT }),
    );
    const rows = await verify(client, label, "delete", seeded.projectId, before, deleteOperation, deleteOperation);
    if (del.result !== rows) throw new Error(`${label}: the baseline delete changed ${del.result} rows, not ${rows}`);

    const restoreOperation = randomUUID();
    const res = await timed(monitor, () =>
      baselineCascade(client, "restore", {
        ...common,
        operationId: restoreOperation,
        reason: null,
        fifth: deleteOperation,
      }),
    );
    await verify(client, label, "restore", seeded.projectId, before, deleteOperation, restoreOperation);
    if (res.result !== rows) throw new Error(`${label}: the baseline restore changed ${res.result} rows, not ${rows}`);
    return {
      delete: { ...del.time, rows, statements: BASELINE_STATEMENTS },
      restore: { ...res.time, rows, statements: BASELINE_STATEMENTS },
    };
  }).finally(() => monitor.end());
}

// ------------------------------------------------------------------------------------------------ report

interface Report {
  date: string;
  nodeVersion: string;
  postgresVersion: string;
  postgresSettings: string;
  loadAverage: number;
  loadAverageEnd: number;
  seeded: Seeded;
  subtree: SubtreeState;
  api: Round[];
  baseline: Round[];
  /** The API again with the audit hash chain off, and with row-level security off. */
  variants: Record<Variant, Round[]>;
  seconds: number;
}

function renderSection(r: Report): string {
  const s = r.subtree;
  const rows = total(s, "live");
  const rate = (m: Measured) => m.rows / m.seconds;
  const kinds = ["delete", "restore"] as const;
  const figures = kinds.map((kind) => {
    const api = median(r.api.map((x) => rate(x[kind])));
    const base = median(r.baseline.map((x) => rate(x[kind])));
    // The same ratio from CPU seconds (PostgreSQL + Node), which the machine's other load disturbs much less.
    const cpuOf = (rounds: Round[]) => median(rounds.map((x) => (x[kind].postgresCpu ?? NaN) + x[kind].nodeCpu));
    return { kind, api, base, ratio: api / base, cpuRatio: cpuOf(r.baseline) / cpuOf(r.api) };
  });
  const notWaiting = (rounds: Round[]) => {
    const all = rounds.flatMap((x) => [x.delete.samples, x.restore.samples]);
    const n = all.reduce((a, b) => a + b.all, 0);
    return n ? `${num((100 * all.reduce((a, b) => a + b.notWaiting, 0)) / n)}%` : "–";
  };
  const perRound = (rounds: Round[], kind: "delete" | "restore") =>
    rounds.map((x) => num(x[kind].seconds, 1)).join(" / ");
  const cpu = (values: (number | undefined)[]) =>
    values.some((v) => v === undefined) ? "–" : num(median(values as number[]), 1);
  const line = (label: string, rounds: Round[], kind: "delete" | "restore", rate: string, ratio: string) =>
    `| ${label} | ${num(rows)} | ${num(median(rounds.map((x) => x[kind].seconds)), 2)} | ${rate} | ` +
    `${perRound(rounds, kind)} | ${cpu(rounds.map((x) => x[kind].postgresCpu))} | ` +
    `${cpu(rounds.map((x) => x[kind].nodeCpu))} | ${num(median(rounds.map((x) => x[kind].statements)))} | ${ratio} |`;
  const table = figures.flatMap((f) => {
    const name = f.kind === "delete" ? "softDelete (cascade)" : "restore (exact)";
    const verdict = f.ratio >= TARGET_RATIO ? "met" : "not met";
    return [
      line(`${name}, API`, r.api, f.kind, `**${num(f.api)}**`, `**${num(f.ratio, 2)}** (${verdict})`),
      line(`${name}, SQL baseline`, r.baseline, f.kind, num(f.base), "1"),
    ];
  });
  const t = (name: Table) =>
    s[name].deleted ? `${num(s[name].live)} live (and ${num(s[name].deleted)} deleted earlier)` : num(s[name].live);
  return [
    SECTION,
    "",
    `Run on ${r.date} with \`${COMMAND}\` (\`node --import @swc-node/register/esm-register bench/cascade.ts\`): ` +
      `Node ${r.nodeVersion}, PostgreSQL ${r.postgresVersion} (${r.postgresSettings}), ${os.cpus().length} cores / ${Math.round(os.totalmem() / 2 ** 30)} GiB (node-svc), ` +
      `1-minute load average ${num(r.loadAverage, 1)} at the start and ${num(r.loadAverageEnd, 1)} at the end; the whole run took ${num(r.seconds)} s. ` +
      `Server: the app built in-process by \`createApp\` (engine defaults, pg pool of 10, one request at a time) on ` +
      `127.0.0.1, called over HTTP with an ADMIN token. Bench, server and PostgreSQL share the machine's cores.`,
    "",
    "### Data set",
    "",
    `Template database \`${TEMPLATE_DB}\`, ${num(r.seeded.databaseBytes / 2 ** 20)} MB, seeded set-based ` +
      `(generate_series) in ${num(r.seeded.seedSeconds, 1)} s, then VACUUM ANALYZE: one organization, ${SIZES.users} ` +
      `users, ${SIZES.smallProjects} small projects (${num(SIZES.smallTasks)} tasks with ${SIZES.commentsPerTask} ` +
      `comments each) and the big project: ${t("tasks")} tasks, ${t("comments")} comments (the first of each task ` +
      `top-level, each later one a reply to it with probability 1/3; only replies were deleted earlier), ` +
      `${t("task_assignments")} task assignments. Every measurement runs on a fresh copy ` +
      `(\`CREATE DATABASE … TEMPLATE ${TEMPLATE_DB} STRATEGY FILE_COPY\`) after a CHECKPOINT.`,
    "",
    "### Results",
    "",
    `Soft delete of the big project, then its restore; ${num(rows)} rows changed each way (1 project, ` +
      `${num(s.tasks.live)} tasks, ${num(s.comments.live)} comments, ${num(s.task_assignments.live)} assignments), ` +
      `plus as many audit entries. Median of ${r.api.length} rounds; rounds alternate which side runs first.`,
    "",
    "| operation | rows | median s | rows/s (median) | each round, s | PostgreSQL CPU s | Node CPU s | statements | API / baseline |",
    "|---|---:|---:|---:|---|---:|---:|---:|---:|",
    ...table,
    "",
    "### What the audit hash chain and row-level security cost",
    "",
    `The same delete and restore through the API in each variant, each on a fresh copy, in the same rounds ` +
      `(median of ${r.variants.default.length}; the order of the sides rotates each round). "Audit rows not ` +
      `hashed": the copy's chain trigger disabled, so audit rows are written as before the chain. "RLS off": the ` +
      `engine sends no role or organization setting, so its transactions run as the bench's superuser connection ` +
      `(the policies are bypassed, and the set_config statement per transaction is not sent). The cost column is ` +
      `how much faster the variant is than the default, i.e. what the feature costs.`,
    "",
    ...variantTable(
      ["delete", "restore"],
      (v, op) => r.variants[v].map((x) => rate(x[op as "delete" | "restore"])),
      num,
    ),
    "",
    `- Target: the API at least ${TARGET_RATIO} × the hand-written SQL's rows/s. ` +
      figures.map((f) => `${f.kind}: ${num(f.ratio, 2)} (${f.ratio >= TARGET_RATIO ? "met" : "not met"})`).join("; ") +
      ". The same ratio from the median CPU seconds (PostgreSQL + Node) of each side: " +
      figures.map((f) => `${f.kind} ${num(f.cpuRatio, 2)}`).join(", ") +
      `. Sampled every 100 ms, the active PostgreSQL backend was not waiting on I/O or a lock (so running, or ` +
      `runnable and waiting for a core) in ${notWaiting(r.api)} of the samples during the API's operations and ` +
      `${notWaiting(r.baseline)} during the baseline's (the rest: I/O, WAL and lock waits). On this shared machine ` +
      `wall time stretches with the other load, which is why the rounds differ; CPU seconds move much less.`,
    "- API: wall time of the HTTP request as the client sees it (parsing, auth, the engine's transaction, the " +
      "response). Statements: every statement drizzle sent for the request, counted by its logger (BEGIN/COMMIT, " +
      "actor, row locks, one UPDATE…RETURNING + audit CTE per relation per level, the final row read).",
    "- rows/s is the median of the rounds' rows/s; the ratio compares the two medians. CPU: medians of the CPU " +
      "seconds of the PostgreSQL backends connected to the measured database (/proc) and of the Node process " +
      "(bench client, plus the in-process server for the API). The machine is shared: wall time moves with its " +
      "load, CPU seconds much less.",
    "- SQL baseline: one transaction through node-postgres, BEGIN to COMMIT, statements counted with BEGIN and COMMIT. " +
      "Delete: `WITH changed AS (UPDATE … SET deleted_at = now(), … WHERE … AND deleted_at IS NULL RETURNING id) " +
      "INSERT INTO audit_log … SELECT … FROM changed RETURNING entity_id` for the project, its tasks " +
      "(`project_id = $6`), their comments and assignments (`task_id = ANY($6::uuid[])` with the task ids just " +
      "returned) and the replies to the deleted comments (`parent_id = ANY(…)`, 0 rows here). Restore: the same five " +
      "statements with `deletion_operation_id = <the delete's>` instead of `deleted_at IS NULL`, so comments and " +
      "their replies come back in one statement. Unlike the engine it takes no row locks and does not check that a " +
      "restored row's other parents are live.",
    "- The engine's restore brings comments back in two statements: top-level ones at the Task.comments level, " +
      "replies one level later, because a reply's parent comment is still deleted in the statement's snapshot (the " +
      "check that a restored row's other parents are live, `EXISTS (… FOR SHARE)`); then one more level finds " +
      "nothing. Its delete sends two statements more than the baseline: the actor look-up (once per process) and " +
      "the final read of the row.",
    "- Checked after every delete and restore: each live row of the subtree deleted by that operation and exactly " +
      "those restored (rows deleted earlier keep their own deletion), one audit entry per changed row, no live row " +
      "under a deleted parent in the database.",
  ].join("\n");
}

// ------------------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const started = performance.now();
  const loadAverage = loadAverageAtStart(say);
  say(`creating and seeding ${TEMPLATE_DB}`);
  const seeded = await createTemplate();
  say(`seeded in ${num(seeded.seedSeconds, 1)} s (${num(seeded.databaseBytes / 2 ** 20)} MB)`);
  const { subtree, postgresVersion, settings } = await withClient(databaseUrl(TEMPLATE_DB), async (client) => ({
    subtree: await subtreeState(client, seeded.projectId, randomUUID()),
    settings: await postgresSettings(client),
    postgresVersion: (await serverVersion(client)).split(" ")[0]!,
  }));

  const baseline: Round[] = [];
  const variants: Record<Variant, Round[]> = { default: [], "no-chain": [], "no-rls": [] };
  const api = variants.default;
  const show = (label: string, r: Round) =>
    say(
      `${label}: delete ${num(r.delete.seconds, 2)} s = ${num(r.delete.rows / r.delete.seconds)} rows/s ` +
        `(${r.delete.statements} statements); restore ${num(r.restore.seconds, 2)} s = ` +
        `${num(r.restore.rows / r.restore.seconds)} rows/s (${r.restore.statements} statements)`,
    );
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      await runRound(
        round,
        `round ${round}`,
        {
          api: async (variant, label) => apiRound(await copyTemplate(), seeded, label, variant),
          baseline: async (label) => baselineRound(await copyTemplate(), seeded, label),
        },
        { variants, baseline },
        show,
      );
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
    seeded,
    subtree,
    api,
    baseline,
    variants,
    seconds: (performance.now() - started) / 1000,
  };
  const section = renderSection(report);
  process.stdout.write(`\n${section}\n`);
  if (await writeBenchmarkSection("bench:cascade", section, { ...report, command: COMMAND }))
    say(`wrote the "${SECTION}" section of BENCHMARKS.md`);
}

await main();
