/**
 * Opens the database: a node-postgres pool when a URL is given, else the embedded PGlite.
 * Everything above this module sees one `Database` type; only this file knows the drivers.
 *
 * Which connection does what on PostgreSQL:
 * - `url` (DATABASE_URL, may be PgBouncer in transaction mode): the pool behind `db`; every statement and
 *   transaction, NOTIFY. Nothing on it relies on session state: no named prepared statements, no SET, no
 *   session locks, no LISTEN.
 * - `directUrl` (DATABASE_DIRECT_URL, defaults to `url`): dedicated session connections opened by
 *   `openSession` (sessions.ts) for LISTEN, session advisory locks and migrations.
 * - `replicaUrls` (DATABASE_REPLICA_URLS): pools of streaming replicas that serve stale-tolerant reads
 *   (replicas.ts decides which).
 * - `ownerUrl` (DATABASE_OWNER_URL, optional): the tables' owner, straight to the primary: migrations, and a
 *   small pool for the work that is not one organization's (owner-routing.ts), so that `url` may log in as a
 *   role with `softdelete_app`'s privileges only.
 */
import { mkdirSync } from "node:fs";
import type { Logger } from "drizzle-orm/logger";
import type { Client } from "pg";
import * as schema from "./schema/index.js";
import type { Database, DatabaseHandle } from "./database.js";
import { routeOwnerWork } from "./owner-routing.js";
import { describeUrl, ReplicaSet } from "./replicas.js";
import { scopePgliteQueries, scopePoolQueries } from "./scoped-queries.js";
import { directoryIntact, DirectoryLockedError, lockDirectory } from "./pglite-lock.js";

export interface ConnectOptions {
  /** PostgreSQL URL; unset → PGlite. May be a pooler in transaction mode. */
  url?: string | undefined;
  /** The primary itself, for session connections. @default url */
  directUrl?: string | undefined;
  /** The tables' owner (the primary itself): migrations and work across organizations. @default url */
  ownerUrl?: string | undefined;
  /** Streaming replicas for stale-tolerant reads. @default [] */
  replicaUrls?: string[] | undefined;
  /** Skip a replica lagging more than this. @default 5000 */
  replicaMaxLagMs?: number;
  /** Time between replica checks. @default 1000 */
  replicaCheckIntervalMs?: number;
  /** PGlite data directory, or `memory://`. @default "./.data/pglite" */
  pgliteDir?: string;
  /** @default 10 */
  poolMax?: number;
  /** @default 5000 */
  connectTimeoutMs?: number;
  /** PGlite only: start from this data directory tarball (`dumpDataDir()`), e.g. a prepared test database. */
  pgliteLoadDataDir?: Blob;
  /** Told about every lost PostgreSQL connection of the pool (for logging); the process carries on. */
  onConnectionError?: (err: unknown) => void;
  /** Receives every statement drizzle sends (tests count round trips with it). */
  logger?: Logger;
}

/** Start-up could not reach or open the database; the message is one line naming the problem. */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
}

export async function connect(options: ConnectOptions = {}): Promise<DatabaseHandle> {
  return options.url ? connectPostgres(options.url, options) : connectPglite(options);
}

async function connectPostgres(url: string, options: ConnectOptions): Promise<DatabaseHandle> {
  const { default: pg } = await import("pg");
  const { drizzle } = await import("drizzle-orm/node-postgres");
  const directUrl = options.directUrl || url;
  for (const [name, value] of [
    ["DATABASE_URL", url],
    ["DATABASE_DIRECT_URL", directUrl],
    ...(options.ownerUrl ? [["DATABASE_OWNER_URL", options.ownerUrl] as const] : []),
    ...(options.replicaUrls ?? []).map((u) => ["DATABASE_REPLICA_URLS", u]),
  ] as const) {
    try {
      new URL(value);
    } catch {
      throw new DatabaseUnavailableError(`${name} is not a valid URL`);
    }
  }
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: connectTimeoutMs,
  });
  // A client losing its server must not crash the process, idle or checked out (pg-pool only listens on idle
  // ones): the statement in flight fails, the pool drops the client, and the next checkout reconnects.
  pool.on("error", () => {}); // reported by the client's own listener below
  pool.on("connect", (client) => void client.on("error", (err) => options.onConnectionError?.(err)));
  // The owner's pool: maintenance across organizations and the seed; a few connections are plenty.
  const ownerPool = options.ownerUrl
    ? new pg.Pool({
        connectionString: options.ownerUrl,
        max: Math.min(options.poolMax ?? 10, 4),
        connectionTimeoutMillis: connectTimeoutMs,
        application_name: "softdelete-graphql owner",
      })
    : undefined;
  ownerPool?.on("error", () => {});
  ownerPool?.on("connect", (client) => void client.on("error", (err) => options.onConnectionError?.(err)));
  try {
    const client = await pool.connect();
    client.release();
    if (directUrl !== url) await probe(pg.Client, directUrl, connectTimeoutMs, "DATABASE_DIRECT_URL");
    if (options.ownerUrl) await probe(pg.Client, options.ownerUrl, connectTimeoutMs, "DATABASE_OWNER_URL");
  } catch (err) {
    await pool.end().catch(() => {});
    await ownerPool?.end().catch(() => {});
    if (err instanceof DatabaseUnavailableError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new DatabaseUnavailableError(`cannot reach PostgreSQL at ${describeUrl(url)}: ${reason}`);
  }
  // Statements outside transactions act for the caller's tenant scope (tenant-scope.ts); before routing, so a
  // read sent to a replica carries its scope too.
  scopePoolQueries(pool);
  if (ownerPool) {
    scopePoolQueries(ownerPool);
    routeOwnerWork(pool, ownerPool);
  }
  let replicas: ReplicaSet | undefined;
  if (options.replicaUrls?.length) {
    replicas = new ReplicaSet(pg.Pool, {
      urls: options.replicaUrls,
      maxLagMs: options.replicaMaxLagMs,
      checkIntervalMs: options.replicaCheckIntervalMs,
      poolMax: options.poolMax,
      connectTimeoutMs,
    });
    replicas.route(pool);
    replicas.start();
  }
  const db = drizzle({ client: pool, schema, logger: options.logger ?? false }) as unknown as Database;
  return {
    db,
    kind: "postgres",
    pool,
    direct: { url: directUrl, connectTimeoutMs },
    ...(ownerPool ? { owner: { url: options.ownerUrl!, pool: ownerPool } } : {}),
    ...(replicas ? { replicas } : {}),
    close: async () => {
      await replicas?.close();
      await pool.end();
      await ownerPool?.end();
    },
  };
}

/** Start-up fails with a clear line when the direct URL, needed for migrations, does not answer. */
async function probe(ClientClass: typeof Client, url: string, timeoutMs: number, name: string) {
  const client = new ClientClass({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new DatabaseUnavailableError(`cannot reach PostgreSQL (${name}) at ${describeUrl(url)}: ${reason}`);
  } finally {
    await client.end().catch(() => {});
  }
}

async function connectPglite(options: ConnectOptions): Promise<DatabaseHandle> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const dir = options.pgliteDir ?? "./.data/pglite";
  let client: InstanceType<typeof PGlite>;
  let release = () => {};
  const onDisk = !dir.startsWith("memory://");
  try {
    if (!onDisk) client = new PGlite(dir, options.pgliteLoadDataDir ? { loadDataDir: options.pgliteLoadDataDir } : {});
    else {
      mkdirSync(dir, { recursive: true });
      release = lockDirectory(dir);
      client = new PGlite(dir);
    }
    await client.waitReady;
  } catch (err) {
    release();
    if (err instanceof DirectoryLockedError) throw new DatabaseUnavailableError(err.message);
    const reason = err instanceof Error ? err.message : String(err);
    throw new DatabaseUnavailableError(`cannot open the embedded database in ${dir}: ${reason}`);
  }
  scopePgliteQueries(client);
  const db = drizzle({ client, schema, logger: options.logger ?? false }) as unknown as Database;
  return {
    db,
    kind: "pglite",
    pglite: client,
    ...(onDisk ? { intact: () => directoryIntact(dir) } : {}),
    close: async () => {
      try {
        await client.close();
      } finally {
        release();
      }
    },
  };
}
