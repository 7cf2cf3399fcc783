/**
 * The benches' PostgreSQL: databases of their own on a server on this machine (they drop and create them, so a
 * URL naming another host is refused), migrated, seeded once as templates and copied fresh for each measurement.
 */
import pg from "pg";
import { connect } from "../../src/db/connect.js";
import { migrate } from "../../src/db/migrate.js";

/**
 * The server the benches work on, from BENCH_DATABASE_URL.
 * @default "postgres://postgres@127.0.0.1:5432/postgres"
 */
export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";

/**
 * `base` with another database name.
 * @param variable the setting `base` came from, named when it is refused
 * @throws RangeError when `base` is not on this machine
 * @example databaseUrl("sdg_bench_api") // "postgres://postgres@127.0.0.1:5432/sdg_bench_api"
 */
export function databaseUrl(database: string, base = BENCH_DATABASE_URL, variable = "BENCH_DATABASE_URL"): string {
  const url = new URL(base);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname))
    throw new RangeError(`${variable} must point at this machine (127.0.0.1), but got host ${url.hostname}`);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The database BENCH_DATABASE_URL names (`postgres` when none): where databases are created and dropped. */
export const maintenanceUrl = (): string => databaseUrl(new URL(BENCH_DATABASE_URL).pathname.slice(1) || "postgres");

/** Runs `work` on a connection of its own to `url`, closed afterwards whatever happens. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Drops `databases` if they exist (their connections closed by force). */
export async function dropDatabases(...databases: string[]): Promise<void> {
  await withClient(maintenanceUrl(), async (admin) => {
    for (const database of databases) await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });
}

/**
 * Drops `alsoDrop` (e.g. copies made from an earlier template) and `database`, then creates `database` empty.
 * @returns its URL
 */
export async function recreateDatabase(database: string, alsoDrop: string[] = []): Promise<string> {
  await withClient(maintenanceUrl(), async (admin) => {
    for (const db of [...alsoDrop, database]) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
  });
  return databaseUrl(database);
}

/** `recreateDatabase`, then the project's migrations. @returns its URL */
export async function createMigratedDatabase(database: string, alsoDrop: string[] = []): Promise<string> {
  const url = await recreateDatabase(database, alsoDrop);
  const handle = await connect({ url, poolMax: 2 });
  try {
    await migrate(handle);
  } finally {
    await handle.close();
  }
  return url;
}

/**
 * `copy` made afresh from `template` (`CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY`).
 * @param options.checkpoint run a CHECKPOINT before the copy, so no earlier run's writes are still being
 * flushed while the next one is measured. @default false
 * @returns the copy's URL
 */
export async function freshCopy(
  template: string,
  copy: string,
  options: { checkpoint?: boolean } = {},
): Promise<string> {
  await withClient(maintenanceUrl(), async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${copy} WITH (FORCE)`);
    if (options.checkpoint) await admin.query("CHECKPOINT");
    await admin.query(`CREATE DATABASE ${copy} TEMPLATE ${template} STRATEGY FILE_COPY`);
  });
  return databaseUrl(copy);
}

/**
 * Opens a seed's transaction and creates its organization. Generated rows are misestimated by orders of
 * magnitude, which buys seconds of JIT compilation for nothing, so JIT is off; `settings` are further `SET LOCAL`s
 * (e.g. `{ work_mem: "64MB" }`). The caller commits.
 * @returns the organization's id
 */
export async function beginSeed(
  client: pg.ClientBase,
  organization: { slug: string; name: string },
  settings: Record<string, string>,
): Promise<string> {
  await client.query("BEGIN");
  await client.query("SET LOCAL jit = off");
  for (const [name, value] of Object.entries(settings)) await client.query(`SET LOCAL ${name} = '${value}'`);
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO organizations (slug, name, created_by, updated_by) VALUES ($1, $2, 'seed', 'seed') RETURNING id`,
    [organization.slug, organization.name],
  );
  return rows[0]!.id;
}

/** The server's version, as `server_version` spells it (e.g. "16.4 (Debian 16.4-1.pgdg120+1)"). */
export async function serverVersion(client: pg.ClientBase): Promise<string> {
  return (await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]!.v;
}

/** The settings a bench's figures depend on most, e.g. "max_wal_size 1GB, shared_buffers 128MB, …". */
export async function postgresSettings(client: pg.ClientBase): Promise<string> {
  const { rows } = await client.query<{ s: string }>(
    `SELECT string_agg(name || ' ' || current_setting(name), ', ' ORDER BY name) AS s FROM pg_settings
     WHERE name IN ('shared_buffers', 'synchronous_commit', 'max_wal_size', 'work_mem')`,
  );
  return rows[0]!.s;
}

/**
 * The actor row of `subject`, as the engine's first write in an organization creates it: a hand-written baseline
 * creates it before its timed work, since the engine caches it after that first write.
 * @returns the actor's id
 */
export async function createActor(client: pg.ClientBase, organizationId: string, subject: string): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO actors (organization_id, subject) VALUES ($1, $2) RETURNING id`,
    [organizationId, subject],
  );
  return rows[0]!.id;
}
