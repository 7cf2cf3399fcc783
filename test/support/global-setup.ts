/**
 * Prepares, once per run, the databases test files copy: migrated, and migrated plus the demo seed.
 * PostgreSQL: two template databases (each file then runs CREATE DATABASE … TEMPLATE). PGlite: two data
 * directory tarballs (each file opens an in-memory PGlite from one). Files thus run in parallel on private
 * databases without paying for migrations or seeding.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { connect } from "../../src/db/connect.js";
import type { DatabaseHandle } from "../../src/db/database.js";
import { migrate } from "../../src/db/migrate.js";
import { createRegistry } from "../../src/domain/model.js";
import { SoftDeleteEngine } from "../../src/engine/engine.js";
import { seedDemo } from "../../src/seed/demo.js";
import { startPostgres } from "./postgres-source.js";
import { directBaseUrl, ensureTopology } from "./topology.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** This run's id: names its template databases and dump files, so concurrent runs never collide. */
    testRun: string;
    /** The PostgreSQL project's server (a superuser URL): TEST_DATABASE_URL, or this run's container. */
    postgresUrl: string;
  }
}

/** Per run (the vitest main process), so two engineers' runs on one machine stay apart. */
const RUN = `p${process.pid}`;
export const templateDb = (run: string, seeded: boolean) => `sdg_test_${run}_template${seeded ? "_seeded" : ""}`;
export const pgliteDumpPath = (run: string, seeded: boolean) =>
  join(tmpdir(), `sdg-test-${run}`, seeded ? "seeded.tar" : "migrated.tar");

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function prepare(handle: DatabaseHandle, seeded: boolean) {
  await migrate(handle);
  if (seeded) await seedDemo(handle.db, new SoftDeleteEngine(handle.db, createRegistry()));
}

export default async function setup(project: TestProject) {
  project.provide("testRun", RUN);
  const env = project.config.env as Record<string, string | undefined>;
  if (env.TEST_DB === "pglite") {
    mkdirSync(dirname(pgliteDumpPath(RUN, false)), { recursive: true });
    for (const seeded of [false, true]) {
      const handle = await connect({ pgliteDir: "memory://" });
      await prepare(handle, seeded);
      const dump = await handle.pglite!.dumpDataDir("none");
      writeFileSync(pgliteDumpPath(RUN, seeded), Buffer.from(await dump.arrayBuffer()));
      await handle.close();
    }
    return () => rmSync(dirname(pgliteDumpPath(RUN, false)), { recursive: true, force: true });
  }
  if (env.TEST_DB !== "postgres") return;
  // TEST_DATABASE_URL (with the topology it names), or a container started now (see postgres-source.ts), which
  // is stopped however setup ends.
  const postgres = await startPostgres(env);
  project.provide("postgresUrl", postgres.url);
  try {
    const onUrl = env.TEST_POSTGRES_SOURCE === "url";
    if (onUrl) await ensureTopology();
    // Templates are made and dropped on the PostgreSQL itself: a pooler would keep server connections to a template,
    // and CREATE DATABASE … TEMPLATE refuses a template anyone is connected to.
    const teardown = await preparePostgres(onUrl ? directBaseUrl()! : postgres.url);
    return async () => {
      try {
        await teardown();
      } finally {
        await postgres.stop();
      }
    };
  } catch (err) {
    await postgres.stop();
    throw err;
  }
}

async function preparePostgres(url: string) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    // Databases left by runs whose process is gone (killed mid-run) are dropped; live runs' are left alone.
    const existing = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'sdg_test_p%'`,
    );
    for (const { datname } of existing.rows) {
      const pid = Number(/^sdg_test_p(\d+)_/.exec(datname)?.[1]);
      if (pid && !alive(pid)) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    for (const seeded of [false, true]) {
      const name = templateDb(RUN, seeded);
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${name}"`);
      const handle = await connect({ url: withDatabase(url, name), poolMax: 1 });
      await prepare(handle, seeded);
      await handle.close();
    }
  } finally {
    await admin.end();
  }
  return async () => {
    const a = new pg.Client({ connectionString: url });
    await a.connect();
    try {
      const mine = await a.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
        `sdg_test_${RUN}_%`,
      ]);
      for (const { datname } of mine.rows) await a.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    } finally {
      await a.end();
    }
  };
}
