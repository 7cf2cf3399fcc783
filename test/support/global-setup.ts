/**
 * Prepares, once per run, the databases test files copy: migrated, and migrated plus the demo seed.
 * PostgreSQL: two template databases (each file then runs CREATE DATABASE … TEMPLATE). PGlite: two data
 * directory tarballs (each file opens an in-memory PGlite from one). Files thus run in parallel on private
 * databases without paying for migrations or seeding.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { connect } from "../../src/db/connect.js";
import type { DatabaseHandle } from "../../src/db/database.js";
import { migrate } from "../../src/db/migrate.js";
import { createRegistry } from "../../src/domain/model.js";
import { SoftDeleteEngine } from "../../src/engine/engine.js";
import { seedDemo } from "../../src/seed/demo.js";

export const TEMPLATE_DB = "sdg_test_template";
export const SEEDED_TEMPLATE_DB = "sdg_test_template_seeded";
export const PGLITE_DUMPS = join(tmpdir(), `sdg-test-${process.getuid?.() ?? 0}`);
export const pgliteDumpPath = (seeded: boolean) => join(PGLITE_DUMPS, seeded ? "seeded.tar" : "migrated.tar");

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
  const env = project.config.env as Record<string, string | undefined>;
  if (env.TEST_DB === "pglite") {
    mkdirSync(PGLITE_DUMPS, { recursive: true });
    for (const seeded of [false, true]) {
      const handle = await connect({ pgliteDir: "memory://" });
      await prepare(handle, seeded);
      const dump = await handle.pglite!.dumpDataDir("none");
      writeFileSync(pgliteDumpPath(seeded), Buffer.from(await dump.arrayBuffer()));
      await handle.close();
    }
    return;
  }
  const url = env.TEST_DATABASE_URL;
  if (env.TEST_DB !== "postgres" || !url) return;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const stale = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'sdg_test_%'`);
    for (const { datname } of stale.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    for (const name of [TEMPLATE_DB, SEEDED_TEMPLATE_DB]) {
      await admin.query(`CREATE DATABASE "${name}"`);
      const handle = await connect({ url: withDatabase(url, name), poolMax: 1 });
      await prepare(handle, name === SEEDED_TEMPLATE_DB);
      await handle.close();
    }
  } finally {
    await admin.end();
  }
}
