/**
 * Opens the database: a node-postgres pool when a URL is given, else the embedded PGlite.
 * Everything above this module sees one `Database` type; only this file knows the drivers.
 */
import { mkdirSync } from "node:fs";
import type { Logger } from "drizzle-orm/logger";
import * as schema from "./schema/index.js";
import type { Database, DatabaseHandle } from "./database.js";

export interface ConnectOptions {
  /** PostgreSQL URL; unset → PGlite. */
  url?: string | undefined;
  /** PGlite data directory, or `memory://`. @default "./.data/pglite" */
  pgliteDir?: string;
  /** @default 10 */
  poolMax?: number;
  /** @default 5000 */
  connectTimeoutMs?: number;
  /** PGlite only: start from this data directory tarball (`dumpDataDir()`), e.g. a prepared test database. */
  pgliteLoadDataDir?: Blob;
  /** Receives every statement drizzle sends (tests count round trips with it). */
  logger?: Logger;
}

/** Start-up could not reach or open the database; the message is one line naming the problem. */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
}

function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return "(malformed URL)";
  }
}

export async function connect(options: ConnectOptions = {}): Promise<DatabaseHandle> {
  return options.url ? connectPostgres(options.url, options) : connectPglite(options);
}

async function connectPostgres(url: string, options: ConnectOptions): Promise<DatabaseHandle> {
  const { default: pg } = await import("pg");
  const { drizzle } = await import("drizzle-orm/node-postgres");
  try {
    new URL(url);
  } catch {
    throw new DatabaseUnavailableError("DATABASE_URL is not a valid URL");
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
  });
  // An idle client losing its server must not crash the process; the next checkout reconnects.
  pool.on("error", () => {});
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => {});
    const reason = err instanceof Error ? err.message : String(err);
    throw new DatabaseUnavailableError(`cannot reach PostgreSQL at ${describeUrl(url)}: ${reason}`);
  }
  const db = drizzle({ client: pool, schema, logger: options.logger ?? false }) as unknown as Database;
  return { db, kind: "postgres", pool, close: () => pool.end() };
}

async function connectPglite(options: ConnectOptions): Promise<DatabaseHandle> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const dir = options.pgliteDir ?? "./.data/pglite";
  let client: InstanceType<typeof PGlite>;
  try {
    if (dir.startsWith("memory://"))
      client = new PGlite(dir, options.pgliteLoadDataDir ? { loadDataDir: options.pgliteLoadDataDir } : {});
    else {
      mkdirSync(dir, { recursive: true });
      client = new PGlite(dir);
    }
    await client.waitReady;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new DatabaseUnavailableError(`cannot open the embedded database in ${dir}: ${reason}`);
  }
  const db = drizzle({ client, schema, logger: options.logger ?? false }) as unknown as Database;
  return { db, kind: "pglite", pglite: client, close: () => client.close() };
}
