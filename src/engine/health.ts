/**
 * The health report: how much dead weight each soft-deletable table carries, what the database says about it,
 * and what to do. It covers the tables of the registry, so a newly declared entity is reported with no new code.
 *
 * Invariant: the report never scans a large table. Counts are exact (one scan) only while the planner expects
 * at most `exactCountMaxRows` rows; beyond that they are the planner's estimates, read with EXPLAIN, and every
 * count says which it is. Everything else comes from the catalog and the statistics views, or from an index.
 *
 * Two scopes. ORGANIZATION (what an organization's ADMIN gets): every count covers that organization's rows only,
 * and the figures that other tenants' activity moves (table and index bytes, dead tuples, vacuum and scan
 * statistics, the pool) are null, so nothing in the report tells one tenant about another. DATABASE (operators
 * only): counts over every organization, and every table and database figure.
 */
import { performance } from "node:perf_hooks";
import { sql, type SQL } from "drizzle-orm";
import { getTableConfig, PgDialect } from "drizzle-orm/pg-core";
import type { DatabaseHandle } from "../db/database.js";
import { defaultOf } from "../config/settings.js";
import { poolStats, type PoolStats } from "../db/pool-stats.js";
import type { Entity, Registry } from "./registry.js";
import { pastRetention, retentionDays, type RetentionPolicy } from "./retention.js";
import { c, rows, t, textArray } from "./sql.js";
import { deleted, live } from "./visibility.js";

export interface HealthThresholds {
  /** Count exactly while the planner expects at most this many rows in a table; estimate above. @default 100000 */
  exactCountMaxRows: number;
  /** A deleted share of a table above this (0..1) recommends purging or archiving. @default 0.3 */
  deletedRatio: number;
  /** More dead tuples than this in a table recommends VACUUM. @default 10000 */
  deadTuples: number;
}

/** The HEALTH_* settings' defaults. */
export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = {
  exactCountMaxRows: defaultOf("HEALTH_EXACT_COUNT_MAX_ROWS"),
  deletedRatio: defaultOf("HEALTH_DELETED_RATIO_THRESHOLD"),
  deadTuples: defaultOf("HEALTH_DEAD_TUPLES_THRESHOLD"),
};

export interface HealthOptions extends HealthThresholds {
  retention: RetentionPolicy;
  /** Counts of this organization only, without database-wide figures; unset: the whole database. */
  organizationId?: string | undefined;
  /** Whether a scheduled purge runs (PURGE_INTERVAL is not off). */
  purgeScheduled: boolean;
}

/** A row count, and whether it was counted or estimated by the planner. */
export interface RowCount {
  count: number;
  exact: boolean;
}

export type IndexStatus = "PRESENT" | "MISSING" | "INVALID";

/** A partial index the table's declaration expects. */
export interface PartialIndexCheck {
  name: string;
  unique: boolean;
  status: IndexStatus;
  /** The statement that creates it as declared. */
  createStatement: string;
}

export interface TableHealth {
  entityType: string;
  table: string;
  /** The planner's estimate of the table's rows: it decides between exact and estimated counts. */
  estimatedRows: number;
  liveRows: RowCount;
  deletedRows: RowCount;
  /** deleted / (live + deleted); 0 for an empty table. */
  deletedRatio: number;
  /** The earliest deletion among the table's rows; null when none is deleted, or when it cannot be read cheaply. */
  oldestDeletion: Date | null;
  /** The type's retention in days; 0 keeps deleted rows forever. */
  retentionDays: number;
  rowsPastRetention: RowCount;
  /** Null in ORGANIZATION scope (other tenants move it). */
  tableBytes: number | null;
  /** Null in ORGANIZATION scope (other tenants move it). */
  indexBytes: number | null;
  deadTuples: number | null;
  lastVacuum: Date | null;
  lastAutovacuum: Date | null;
  lastAnalyze: Date | null;
  lastAutoanalyze: Date | null;
  seqScans: number | null;
  indexScans: number | null;
  partialIndexes: PartialIndexCheck[];
}

export type DatabaseKindName = "EMBEDDED" | "SERVER";

export interface DatabaseHealth {
  reachable: boolean;
  kind: DatabaseKindName;
  serverVersion: string | null;
  /** Round trip of `SELECT 1`, in milliseconds. */
  latencyMs: number | null;
  /** Null on the embedded database, which has no pool. */
  pool: PoolStats | null;
  /** Why the database is unreachable. */
  error: string | null;
}

export type Severity = "INFO" | "WARNING" | "CRITICAL";
export type RecommendationKind =
  "PURGE_OR_ARCHIVE" | "VACUUM" | "CREATE_INDEX" | "ENABLE_PURGE" | "MISSING_TABLE" | "DATABASE_UNREACHABLE";

export interface Recommendation {
  severity: Severity;
  kind: RecommendationKind;
  /** The entity type and table concerned; null for the database as a whole. */
  entityType: string | null;
  table: string | null;
  message: string;
  /** What to run or change. */
  action: string;
}

export type HealthScope = "ORGANIZATION" | "DATABASE";

export interface HealthReport {
  /** ORGANIZATION: one organization's counts, no database-wide figures; DATABASE: everything (operators). */
  scope: HealthScope;
  generatedAt: Date;
  /** How long the report took to compute, in milliseconds. */
  durationMs: number;
  database: DatabaseHealth;
  tables: TableHealth[];
  recommendations: Recommendation[];
}

interface Stats {
  table: string;
  found: boolean;
  table_bytes: number | null;
  index_bytes: number | null;
  dead_tuples: number | null;
  seq_scans: number | null;
  index_scans: number | null;
  last_vacuum: Date | string | null;
  last_autovacuum: Date | string | null;
  last_analyze: Date | string | null;
  last_autoanalyze: Date | string | null;
}

interface ExistingIndex {
  table: string;
  name: string;
  valid: boolean;
  first_column: string | null;
}

/**
 * Builds the report from the catalog, the statistics views and (for small tables) exact counts.
 * Never throws for an unreachable database: the report says so.
 */
export async function healthReport(
  handle: DatabaseHandle,
  registry: Registry,
  options: HealthOptions,
): Promise<HealthReport> {
  const started = performance.now();
  const generatedAt = new Date();
  const db = handle.db;
  const scope: HealthScope = options.organizationId ? "ORGANIZATION" : "DATABASE";
  const database: DatabaseHealth = {
    reachable: false,
    kind: handle.kind === "pglite" ? "EMBEDDED" : "SERVER",
    serverVersion: null,
    latencyMs: null,
    pool: scope === "DATABASE" ? poolStats(handle) : null,
    error: null,
  };
  let versionNum = 0;
  try {
    const t0 = performance.now();
    await db.execute(sql`SELECT 1`);
    database.latencyMs = Math.round((performance.now() - t0) * 100) / 100;
    const [v] = await rows<{ version: string; num: string }>(
      db,
      sql`SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num`,
    );
    database.serverVersion = v?.version ?? null;
    versionNum = Number(v?.num ?? 0);
    database.reachable = true;
  } catch (err) {
    database.error = err instanceof Error ? err.message.split("\n")[0]! : String(err);
    const recommendations: Recommendation[] = [
      {
        severity: "CRITICAL",
        kind: "DATABASE_UNREACHABLE",
        entityType: null,
        table: null,
        message: `the database does not answer: ${database.error}`,
        action: "Check that the database is running and DATABASE_URL points at it.",
      },
    ];
    return { scope, generatedAt, durationMs: elapsed(started), database, tables: [], recommendations };
  }

  // The statistics a backend gathers reach the views when it flushes them; on PGlite that backend is this one.
  if (handle.kind === "pglite" && versionNum >= 150000) await db.execute(sql`SELECT pg_stat_force_next_flush()`);

  const entities = [...registry.entities.values()];
  const names = entities.map((e) => e.tableName);
  const stats = await rows<Stats>(
    db,
    sql`SELECT n.name AS table, c.oid IS NOT NULL AS found,
          pg_table_size(c.oid)::float8 AS table_bytes, pg_indexes_size(c.oid)::float8 AS index_bytes,
          s.n_dead_tup::float8 AS dead_tuples, s.seq_scan::float8 AS seq_scans, s.idx_scan::float8 AS index_scans,
          s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze
        FROM unnest(${textArray(names)}) AS n(name)
        LEFT JOIN pg_class c ON c.oid = to_regclass(quote_ident(n.name))
        LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid`,
  );
  const indexes = await rows<ExistingIndex>(
    db,
    sql`SELECT tc.relname AS table, ic.relname AS name, i.indisvalid AS valid, a.attname AS first_column
        FROM pg_index i
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_class tc ON tc.oid = i.indrelid
        LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indrelid = ANY(ARRAY(SELECT to_regclass(quote_ident(x)) FROM unnest(${textArray(names)}) AS x)::oid[])`,
  );
  const statsByTable = new Map(stats.map((s) => [s.table, s]));
  const missing = entities.filter((e) => !statsByTable.get(e.tableName)?.found);
  const tables = await Promise.all(
    entities
      .filter((e) => !missing.includes(e))
      .map((e) =>
        tableHealth(
          handle,
          e,
          statsByTable.get(e.tableName)!,
          indexes.filter((i) => i.table === e.tableName),
          options,
        ),
      ),
  );
  const recommendations = [
    ...missing.map((e): Recommendation => ({
      severity: "CRITICAL",
      kind: "MISSING_TABLE",
      entityType: e.name,
      table: e.tableName,
      message: `table ${e.tableName} of ${e.name} does not exist in the database`,
      action: "Apply the migrations (the server does so at start-up).",
    })),
    ...recommend(tables, options),
  ];
  return { scope, generatedAt, durationMs: elapsed(started), database, tables, recommendations };
}

async function tableHealth(
  handle: DatabaseHandle,
  entity: Entity,
  stats: Stats,
  existing: ExistingIndex[],
  options: HealthOptions,
): Promise<TableHealth> {
  const db = handle.db;
  const deletedAt = c(entity.table.deletedAt);
  const past = pastRetention(options.retention, entity, deletedAt);
  const days = retentionDays(options.retention, entity.name);
  const org = options.organizationId;
  const mine = org ? sql`${c(entity.table.organizationId)} = ${org}::uuid` : sql`TRUE`;
  const estimatedRows = await planRows(handle, sql`SELECT 1 FROM ${t(entity)} WHERE ${mine}`);
  let liveRows: RowCount | undefined;
  let deletedRows: RowCount | undefined;
  let rowsPastRetention: RowCount | undefined;
  let oldestDeletion: Date | null = null;
  if (estimatedRows <= options.exactCountMaxRows) {
    const [r] = await rows<{ live: number; deleted: number; past: number; oldest: Date | string | null }>(
      db,
      sql`SELECT count(*) FILTER (WHERE ${live(entity.table)})::float8 AS live,
            count(*) FILTER (WHERE ${deleted(entity.table)})::float8 AS deleted,
            count(*) FILTER (WHERE ${past})::float8 AS past,
            min(${deletedAt}) AS oldest
          FROM ${t(entity)} WHERE ${mine}`,
    );
    liveRows = { count: r?.live ?? 0, exact: true };
    deletedRows = { count: r?.deleted ?? 0, exact: true };
    rowsPastRetention = { count: r?.past ?? 0, exact: true };
    oldestDeletion = toDate(r?.oldest ?? null);
  } else {
    // The earliest deletion costs one index probe when an index leads with deleted_at (a scan otherwise, so
    // it is left out then). Where it proves a count is zero, the count is exact: the planner never says 0.
    // (Database scope only: with an organization's predicate the probe could walk other tenants' entries.)
    if (!org && existing.some((i) => i.valid && i.first_column === entity.table.deletedAt.name)) {
      const [r] = await rows<{ oldest: Date | string | null; past: boolean }>(
        db,
        sql`SELECT min(${deletedAt}) AS oldest,
              COALESCE(${pastRetention(options.retention, entity, sql`min(${deletedAt})`)}, FALSE) AS past
            FROM ${t(entity)} WHERE ${deleted(entity.table)}`,
      );
      oldestDeletion = toDate(r?.oldest ?? null);
      if (!oldestDeletion) {
        deletedRows = { count: 0, exact: true };
        liveRows = { count: estimatedRows, exact: false };
      }
      if (!r?.past) rowsPastRetention = { count: 0, exact: true };
    }
    if (days <= 0) rowsPastRetention = { count: 0, exact: true };
    const estimate = async (where: SQL): Promise<RowCount> => ({
      count: await planRows(handle, sql`SELECT 1 FROM ${t(entity)} WHERE ${mine} AND ${where}`),
      exact: false,
    });
    deletedRows ??= await estimate(deleted(entity.table));
    liveRows ??= await estimate(live(entity.table));
    rowsPastRetention ??= await estimate(past);
  }
  const total = liveRows.count + deletedRows.count;
  const embedded = handle.kind === "pglite";
  return {
    entityType: entity.name,
    table: entity.tableName,
    estimatedRows,
    liveRows,
    deletedRows,
    deletedRatio: total > 0 ? deletedRows.count / total : 0,
    oldestDeletion,
    retentionDays: days,
    rowsPastRetention,
    ...(org
      ? {
          tableBytes: null,
          indexBytes: null,
          deadTuples: null,
          lastVacuum: null,
          lastAutovacuum: null,
          lastAnalyze: null,
          lastAutoanalyze: null,
          seqScans: null,
          indexScans: null,
        }
      : {
          tableBytes: stats.table_bytes ?? 0,
          indexBytes: stats.index_bytes ?? 0,
          deadTuples: stats.dead_tuples,
          lastVacuum: toDate(stats.last_vacuum),
          // No autovacuum daemon runs inside the embedded database.
          lastAutovacuum: embedded ? null : toDate(stats.last_autovacuum),
          lastAnalyze: toDate(stats.last_analyze),
          lastAutoanalyze: embedded ? null : toDate(stats.last_autoanalyze),
          seqScans: stats.seq_scans,
          indexScans: stats.index_scans,
        }),
    partialIndexes: declaredPartialIndexes(entity).map((d) => {
      const found = existing.find((i) => i.name === d.name);
      return { ...d, status: !found ? "MISSING" : found.valid ? "PRESENT" : "INVALID" };
    }),
  };
}

/**
 * What to do, from the report's figures and the thresholds. Each rule fires strictly above its threshold.
 */
export function recommend(
  tables: readonly TableHealth[],
  options: Pick<HealthThresholds, "deletedRatio" | "deadTuples"> & { purgeScheduled: boolean },
): Recommendation[] {
  const out: Recommendation[] = [];
  for (const tb of tables) {
    const at = { entityType: tb.entityType, table: tb.table };
    for (const idx of tb.partialIndexes) {
      if (idx.status === "PRESENT") continue;
      out.push({
        ...at,
        severity: idx.unique ? "CRITICAL" : "WARNING",
        kind: "CREATE_INDEX",
        message:
          `the partial index ${idx.name} on ${tb.table} is ${idx.status === "MISSING" ? "missing" : "invalid (a failed concurrent build)"}` +
          (idx.unique ? ": uniqueness among live rows is not enforced" : ": reads of live rows scan deleted ones too"),
        action:
          idx.status === "INVALID"
            ? `DROP INDEX CONCURRENTLY IF EXISTS "${idx.name}"; ${idx.createStatement}`
            : idx.createStatement,
      });
    }
    if (tb.deletedRatio > options.deletedRatio) {
      out.push({
        ...at,
        severity: "WARNING",
        kind: "PURGE_OR_ARCHIVE",
        message: `${percent(tb.deletedRatio)} of ${tb.table} rows are soft-deleted (threshold ${percent(options.deletedRatio)})`,
        action:
          tb.retentionDays > 0
            ? `Purge rows past the ${tb.retentionDays}-day retention (npm run purge -- --type ${tb.entityType}, or purgeExpired(dryRun: false, type: ${tb.entityType})); to go further, lower the retention of ${tb.entityType} (RETENTION_DAYS_OVERRIDES) or archive deleted rows elsewhere.`
            : `${tb.entityType} keeps deleted rows forever: set a retention (RETENTION_DAYS_OVERRIDES=${tb.entityType}=<days>) and purge, or archive deleted rows elsewhere.`,
      });
    }
    if (tb.deadTuples !== null && tb.deadTuples > options.deadTuples) {
      out.push({
        ...at,
        severity: "WARNING",
        kind: "VACUUM",
        message: `${tb.table} holds ${tb.deadTuples} dead tuples (threshold ${options.deadTuples})`,
        action: `VACUUM (ANALYZE) "${tb.table}";`,
      });
    }
    if (tb.rowsPastRetention.count > 0 && !options.purgeScheduled) {
      out.push({
        ...at,
        severity: "INFO",
        kind: "ENABLE_PURGE",
        message: `${tb.rowsPastRetention.exact ? "" : "about "}${tb.rowsPastRetention.count} ${tb.table} rows are past their ${tb.retentionDays}-day retention, and no scheduled purge runs (PURGE_INTERVAL=off)`,
        action: "Set PURGE_INTERVAL (for example 1d) to purge on a schedule, or run npm run purge.",
      });
    }
  }
  return out;
}

/** The partial indexes a table's declaration expects, with the statement that creates each. */
export function declaredPartialIndexes(entity: Entity): Omit<PartialIndexCheck, "status">[] {
  const dialect = new PgDialect();
  return getTableConfig(entity.table)
    .indexes.filter((i) => i.config.where && i.config.name)
    .map((i) => {
      const cols = i.config.columns.map((col) =>
        "name" in col && typeof col.name === "string" ? `"${col.name}"` : dialect.sqlToQuery(col as unknown as SQL).sql,
      );
      const where = dialect.sqlToQuery(i.config.where!).sql;
      const unique = !!i.config.unique;
      return {
        name: i.config.name!,
        unique,
        createStatement: `CREATE ${unique ? "UNIQUE " : ""}INDEX CONCURRENTLY IF NOT EXISTS "${i.config.name}" ON "${entity.tableName}" USING ${i.config.method ?? "btree"} (${cols.join(", ")}) WHERE ${where};`,
      };
    });
}

/** The planner's row estimate for `query`. */
async function planRows(handle: DatabaseHandle, query: SQL): Promise<number> {
  const [r] = await rows<Record<string, unknown>>(handle.db, sql`EXPLAIN (FORMAT JSON) ${query}`);
  const raw = r ? Object.values(r)[0] : undefined;
  const plan = (typeof raw === "string" ? JSON.parse(raw) : raw) as { Plan?: { "Plan Rows"?: number } }[] | undefined;
  return Math.round(plan?.[0]?.Plan?.["Plan Rows"] ?? 0);
}

function toDate(v: Date | string | null | undefined): Date | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v : new Date(v);
}

const elapsed = (started: number) => Math.round((performance.now() - started) * 100) / 100;
const percent = (ratio: number) => `${Math.round(ratio * 1000) / 10}%`;
