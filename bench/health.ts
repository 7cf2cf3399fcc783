/**
 * `npm run bench:health`: how long `healthReport` takes on 10 soft-deletable tables of 1,000,000 rows each on
 * PostgreSQL, through the engine and through GraphQL, next to the same report with exact counts forced.
 *
 * 1. Creates the PostgreSQL database `sdg_bench_health` (dropped first), migrates it (for the organizations the
 *    API authenticates against) and adds 10 generic soft-deletable tables `bench_t0` … `bench_t9`, declared below
 *    with the project's column and index helpers and registered in a Registry of their own: the report takes its
 *    tables from the registry, so it covers them with no new code.
 * 2. Loads each table set-based (generate_series, fixed random seed, two loaders at a time): table i has
 *    5·(i+1)% of its rows deleted within the last 200 days; indexes are built after the load; VACUUM ANALYZE. Then
 *    2% of the rows of bench_t0 and bench_t1 are updated (dead tuples), and bench_t9 lacks its deleted_at index.
 * 3. Times `Maintenance.healthReport()` (cold, then warm runs), the `healthReport` query through the API in process
 *    (`app.execute`, authentication included), and the report with HEALTH_EXACT_COUNT_MAX_ROWS above every table
 *    (exact counts: one scan per table), whose counts also measure the estimates' error.
 * 4. Prints the tables and writes them to the "## bench:health" section of BENCHMARKS.md.
 *
 * Environment: BENCH_DATABASE_URL (a PostgreSQL on this machine; default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_ROWS rows per table (default 1000000), BENCH_RUNS warm runs (default 10), BENCH_KEEP=1 keeps the database.
 */
import { writeBenchmarkSection } from "./support/benchmarks-file.js";
import { databaseUrl, dropDatabases, recreateDatabase, serverVersion, withClient } from "./support/databases.js";
import { envInt, sayer } from "./support/env.js";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { pino } from "pino";
import "reflect-metadata";
import { sql } from "drizzle-orm";
import { pgTable, text, uuid } from "drizzle-orm/pg-core";
import { signToken } from "../src/auth/token.js";
import { connect } from "../src/db/connect.js";
import { migrate } from "../src/db/migrate.js";
import { deletedAtIndex, idColumn, liveIndex, softDeleteColumns, trackingColumns } from "../src/db/schema/columns.js";
import { SoftDeleteEngine } from "../src/engine/engine.js";
import type { HealthReport } from "../src/engine/health.js";
import { Maintenance } from "../src/engine/maintenance.js";
import { Registry, type SoftDeletableTable } from "../src/engine/registry.js";
import { createApp } from "../src/server/app.js";
import { createServices } from "../src/server/services.js";

// ------------------------------------------------------------------------------------------------ settings

const SECTION = "## bench:health";
const COMMAND = "npm run bench:health";
const DATABASE = "sdg_bench_health";
const TABLES = 10;
const SECRET = "bench-health-secret-bench-health-secret-0123";

const ROWS = envInt("BENCH_ROWS", 1_000_000, 1000, 100_000_000);
const RUNS = envInt("BENCH_RUNS", 10, 1, 1000);

const say = sayer("bench:health");

// ------------------------------------------------------------------------------------------------ the tables

const tableName = (i: number) => `bench_t${i}`;
const deletedShare = (i: number) => 0.05 * (i + 1);
const withoutDeletedAtIndex = (i: number) => i === 9;
const withDeadTuples = (i: number) => i < 2;

/** A generic soft-deletable table, declared as the project declares its own. */
function declare(i: number) {
  const name = tableName(i);
  return pgTable(
    name,
    {
      id: idColumn(),
      organizationId: uuid("organization_id").notNull(),
      payload: text("payload"),
      ...trackingColumns(),
      ...softDeleteColumns(),
    },
    (t) => [
      liveIndex(`${name}_org_live_idx`, t.organizationId, t.createdAt, t.id),
      deletedAtIndex(`${name}_deleted_at_idx`, t.deletedAt),
    ],
  );
}

function loadStatements(i: number): string[] {
  const t = tableName(i);
  const statements = [
    `SELECT setseed(${(i + 1) / 100})`,
    `CREATE TABLE ${t} (
       id uuid NOT NULL DEFAULT gen_random_uuid(), organization_id uuid NOT NULL, payload text,
       created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
       created_by text, updated_by text, deleted_at timestamptz, deleted_by text, deletion_reason text,
       deletion_operation_id uuid, is_deleted boolean GENERATED ALWAYS AS (deleted_at IS NOT NULL) STORED NOT NULL)`,
    `INSERT INTO ${t} (organization_id, payload, created_at, updated_at, created_by, updated_by, deleted_at, deleted_by, deletion_reason, deletion_operation_id)
     SELECT ('00000000-0000-4000-8000-00000000000' || (g % 10))::uuid, md5(g::text), at, at, 'bench', 'bench',
       CASE WHEN del THEN now() - random() * interval '200 days' END, CASE WHEN del THEN 'bench' END,
       CASE WHEN del THEN 'benchmark data' END, CASE WHEN del THEN gen_random_uuid() END
     FROM (SELECT g, random() < ${deletedShare(i)} AS del, now() - interval '400 days' + g * interval '10 seconds' AS at
           FROM generate_series(1, ${ROWS}) AS g) s`,
    `ALTER TABLE ${t} ADD PRIMARY KEY (id)`,
    `CREATE INDEX ${t}_org_live_idx ON ${t} (organization_id, created_at, id) WHERE deleted_at IS NULL`,
  ];
  if (!withoutDeletedAtIndex(i))
    statements.push(`CREATE INDEX ${t}_deleted_at_idx ON ${t} (deleted_at) WHERE deleted_at IS NOT NULL`);
  statements.push(`VACUUM ANALYZE ${t}`);
  if (withDeadTuples(i)) statements.push(`UPDATE ${t} SET payload = payload || '!' WHERE random() < 0.02`);
  return statements;
}

async function load(url: string): Promise<number> {
  const started = performance.now();
  const queue = Array.from({ length: TABLES }, (_, i) => i);
  const worker = () =>
    withClient(url, async (client) => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const t0 = performance.now();
        for (const statement of loadStatements(i)) await client.query(statement);
        say(`loaded ${tableName(i)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
    });
  await Promise.all([worker(), worker()]);
  return (performance.now() - started) / 1000;
}

// ------------------------------------------------------------------------------------------------ measuring

interface Timing {
  cold: number;
  runs: number[];
}

async function time(run: () => Promise<unknown>, runs: number): Promise<Timing> {
  const t0 = performance.now();
  await run();
  const cold = performance.now() - t0;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  return { cold, runs: times.sort((a, b) => a - b) };
}

const median = (xs: number[]) => xs[Math.floor((xs.length - 1) / 2)]!;
const p95 = (xs: number[]) => xs[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;
const ms = (x: number) => x.toFixed(1);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const int = (n: number) => Math.round(n).toLocaleString("en-US");

// ------------------------------------------------------------------------------------------------ report

interface Results {
  date: string;
  nodeVersion: string;
  postgresVersion: string;
  loadavg: number;
  loadSeconds: number;
  engine: Timing;
  graphql: Timing;
  exact: Timing;
  estimated: HealthReport;
  counted: HealthReport;
}

function section(r: Results): string {
  const lines: string[] = [];
  const cpu = `${os.cpus().length} cores / ${Math.round(os.totalmem() / 1024 ** 3)} GiB (${os.hostname()})`;
  lines.push(
    SECTION,
    "",
    `Run on ${r.date} with \`${COMMAND}\`: Node ${r.nodeVersion}, PostgreSQL ${r.postgresVersion}, ${cpu}, 1-minute load average ${r.loadavg.toFixed(1)} at the start. ` +
      `The report is computed in the bench process over a pool of 10 connections (PostgreSQL on the same machine), with the default settings ` +
      `(HEALTH_EXACT_COUNT_MAX_ROWS=100000: ${
        r.estimated.tables.every((t) => !t.liveRows.exact)
          ? "every table here gets planner estimates"
          : "these tables are small enough for exact counts"
      }).`,
    "",
    "### Data set",
    "",
    `Database \`${DATABASE}\`: ${TABLES} generic soft-deletable tables (the project's column and index helpers, registered in a Registry of ` +
      `their own), ${int(ROWS)} rows each, loaded set-based in ${r.loadSeconds.toFixed(0)} s (indexes built after the load, then VACUUM ANALYZE). ` +
      `Table i has 5·(i+1)% of its rows deleted within the last 200 days; 2% of the rows of bench_t0 and bench_t1 were updated after the vacuum ` +
      `(dead tuples); bench_t9 lacks its deleted_at partial index.`,
    "",
    "| table | rows | deleted (exact) | deleted (estimate) | past 90-day retention (exact) | estimate | table + indexes | dead tuples |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const est of r.estimated.tables) {
    const ex = r.counted.tables.find((t) => t.table === est.table)!;
    const rows = ex.liveRows.count + ex.deletedRows.count;
    lines.push(
      `| ${est.table} | ${int(rows)} | ${int(ex.deletedRows.count)} (${(ex.deletedRatio * 100).toFixed(1)}%) | ${int(est.deletedRows.count)} | ` +
        `${int(ex.rowsPastRetention.count)} | ${int(est.rowsPastRetention.count)} | ` +
        `${mb((est.tableBytes ?? 0) + (est.indexBytes ?? 0))} MB | ${int(est.deadTuples ?? 0)} |`,
    );
  }
  const err = (pick: (t: HealthReport["tables"][number]) => number) =>
    Math.max(
      ...r.estimated.tables.map((est) => {
        const ex = r.counted.tables.find((t) => t.table === est.table)!;
        const want = pick(ex);
        return want ? Math.abs(pick(est) - want) / want : 0;
      }),
    );
  lines.push(
    "",
    `Largest error of the estimates against the exact counts: live rows ${(err((t) => t.liveRows.count) * 100).toFixed(2)}%, deleted rows ` +
      `${(err((t) => t.deletedRows.count) * 100).toFixed(2)}%, rows past retention ${(err((t) => t.rowsPastRetention.count) * 100).toFixed(2)}%.`,
    "",
    "### Results",
    "",
    `| healthReport over ${TABLES} tables × ${int(ROWS)} rows | cold ms | median ms | p95 ms | max ms | runs |`,
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    `| engine: \`Maintenance.healthReport()\` | ${ms(r.engine.cold)} | ${ms(median(r.engine.runs))} | ${ms(p95(r.engine.runs))} | ${ms(r.engine.runs.at(-1)!)} | ${r.engine.runs.length} |`,
    `| GraphQL: \`{ healthReport { … every field … } }\` through \`app.execute\` | ${ms(r.graphql.cold)} | ${ms(median(r.graphql.runs))} | ${ms(p95(r.graphql.runs))} | ${ms(r.graphql.runs.at(-1)!)} | ${r.graphql.runs.length} |`,
    `| engine, exact counts forced (HEALTH_EXACT_COUNT_MAX_ROWS above every table) | ${ms(r.exact.cold)} | ${ms(median(r.exact.runs))} | ${ms(p95(r.exact.runs))} | ${ms(r.exact.runs.at(-1)!)} | ${r.exact.runs.length} |`,
    "",
    `- Recommendations in the report: ${
      Object.entries(
        r.estimated.recommendations.reduce<Record<string, number>>(
          (m, x) => ((m[x.kind] = (m[x.kind] ?? 0) + 1), m),
          {},
        ),
      )
        .map(([k, n]) => `${k} ×${n}`)
        .join(", ") || "none"
    } (HEALTH_DELETED_RATIO_THRESHOLD=0.3, HEALTH_DEAD_TUPLES_THRESHOLD=10000, PURGE_INTERVAL=off).`,
    "- With estimates a table costs a few EXPLAINs and one index probe for the oldest deletion, whatever its size; bench_t9 has no index on " +
      "deleted_at, so its oldest deletion is left out (null) rather than read by a scan. Forced exact counts scan every table once.",
    "- cold: the first report after connecting (catalog caches empty); then the warm runs one after another.",
  );
  return lines.join("\n");
}

// ------------------------------------------------------------------------------------------------ main

const HEALTH_QUERY = `{ healthReport {
  generatedAt durationMs
  database { reachable kind serverVersion latencyMs error pool { max total idle waiting } }
  tables {
    entityType table estimatedRows deletedRatio oldestDeletion retentionDays tableBytes indexBytes deadTuples
    lastVacuum lastAutovacuum lastAnalyze lastAutoanalyze seqScans indexScans
    liveRows { count exact } deletedRows { count exact } rowsPastRetention { count exact }
    partialIndexes { name unique status createStatement }
  }
  recommendations { severity kind entityType table message action }
} }`;

async function main(): Promise<void> {
  const loadavg = os.loadavg()[0]!;
  const url = databaseUrl(DATABASE);
  await recreateDatabase(DATABASE);
  const postgresVersion = await withClient(url, serverVersion);

  let handle;
  let results: Results;
  try {
    handle = await connect({ url, poolMax: 10 });
    await migrate(handle);
    await handle.db.execute(sql`INSERT INTO organizations (slug, name) VALUES ('bench', 'Bench')`);
    say(`loading ${TABLES} tables of ${int(ROWS)} rows (two at a time)`);
    const loadSeconds = await load(url);
    // Let the updates' statistics reach the views (backends flush them within a second or so).
    await new Promise((r) => setTimeout(r, 2000));

    const registry = new Registry(
      Array.from({ length: TABLES }, (_, i) => ({
        name: `BenchTable${i}`,
        table: declare(i) as unknown as SoftDeletableTable,
      })),
      [],
    );
    const engine = new SoftDeleteEngine(handle.db, registry);
    const maintenance = new Maintenance(engine, handle, {});
    const exactMaintenance = new Maintenance(engine, handle, { health: { exactCountMaxRows: ROWS * 10 } });

    say("timing the engine call");
    let estimated!: HealthReport;
    const engineTiming = await time(async () => (estimated = await maintenance.healthReport()), RUNS);

    say("timing the GraphQL query");
    // Only for the API's bulk services, which this bench does not use: without the pool they stay in process.
    const services = createServices({ ...handle, pool: undefined });
    const app = await createApp({
      handle,
      engine,
      bulk: services.bulk,
      maintenance,
      // The schema serves the example domain while the engine's registry holds the bench tables: the read
      // compiler, which needs both to agree, has nothing to do for healthReport (a maintenance query).
      readCompiler: false,
      secret: SECRET,
      log: pino({ level: "silent" }),
      limits: { maxDepth: 20, maxCost: 1_000_000, maxAliases: 100, maxReasonLength: 1000, maxTextLength: 10_000 },
    });
    const authorization = `Bearer ${await signToken({ sub: "bench@bench.test", role: "ADMIN", org: "bench" }, SECRET, 3_600_000)}`;
    const graphqlTiming = await time(async () => {
      const result = await app.execute({ query: HEALTH_QUERY }, authorization);
      if (result.errors?.length) throw new Error(`healthReport failed: ${JSON.stringify(result.errors)}`);
    }, RUNS);
    await app.close();
    await services.close();

    say("timing the report with exact counts forced");
    let counted!: HealthReport;
    const exactTiming = await time(async () => (counted = await exactMaintenance.healthReport()), Math.min(RUNS, 3));

    results = {
      date: new Date().toISOString().slice(0, 10),
      nodeVersion: process.version,
      postgresVersion,
      loadavg,
      loadSeconds,
      engine: engineTiming,
      graphql: graphqlTiming,
      exact: exactTiming,
      estimated,
      counted,
    };
  } finally {
    await handle?.close();
    if (process.env.BENCH_KEEP !== "1") await dropDatabases(DATABASE);
  }
  const text = section(results);
  process.stdout.write(`${text}\n`);
  if (await writeBenchmarkSection("bench:health", text, { ...results, command: COMMAND }))
    say(`wrote the "${SECTION}" section of BENCHMARKS.md`);
}

main().catch((err) => {
  process.stderr.write(`[bench:health] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
