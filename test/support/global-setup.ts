/**
 * On PostgreSQL: migrate one template database once; each test file then gets its own copy
 * (CREATE DATABASE … TEMPLATE), so files run in parallel without seeing each other's rows.
 */
import pg from "pg";
import type { TestProject } from "vitest/node";
import { connect } from "../../src/db/connect.js";
import { migrate } from "../../src/db/migrate.js";

export const TEMPLATE_DB = "sdg_test_template";

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  const env = project.config.env as Record<string, string | undefined>;
  const url = env.TEST_DATABASE_URL;
  if (env.TEST_DB !== "postgres" || !url) return;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const stale = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'sdg_test_%'`,
    );
    for (const { datname } of stale.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${TEMPLATE_DB}"`);
  } finally {
    await admin.end();
  }
  const handle = await connect({ url: withDatabase(url, TEMPLATE_DB), poolMax: 1 });
  await migrate(handle);
  await handle.close();
}
