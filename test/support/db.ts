/**
 * A private, migrated database per test file: PGlite in memory, or a copy of the migrated PostgreSQL
 * template. `statements` records every SQL statement drizzle sends, so tests count round trips.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { sql, type SQL } from "drizzle-orm";
import { connect } from "../../src/db/connect.js";
import type { Database, DatabaseHandle, DatabaseKind } from "../../src/db/database.js";
import { organizations } from "../../src/db/schema/index.js";
import type { DomainModel } from "../../src/domain/domain-model.js";
import { MODEL } from "../../src/domain/model.js";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, inject } from "vitest";
import { pgliteDumpPath, templateDb, withDatabase } from "./global-setup.js";
import { directBaseUrl, pooledBaseUrl } from "./topology.js";

export const DB_KIND: DatabaseKind = process.env.TEST_DB === "postgres" ? "postgres" : "pglite";
export const onPostgres = DB_KIND === "postgres";

export interface TestDatabase extends DatabaseHandle {
  statements: string[];
  /** The URL of this file's database (PostgreSQL only; through the pooler, if any): open more connections with it. */
  url?: string;
  /** The same database on PostgreSQL itself (PostgreSQL only): session connections. Equals `url` without a pooler. */
  directUrl?: string;
}

/**
 * @param options.seeded start from the demo seed (organizations `demo` and `acme`) instead of an empty,
 * migrated database. @default false
 */
export async function openTestDatabase(options: { seeded?: boolean } = {}): Promise<TestDatabase> {
  const seeded = options.seeded ?? false;
  const statements: string[] = [];
  const logger = { logQuery: (query: string) => void statements.push(query) };
  if (DB_KIND === "pglite") {
    const dump = new Blob([readFileSync(pgliteDumpPath(inject("testRun"), seeded))]);
    const handle = await connect({ pgliteDir: "memory://", pgliteLoadDataDir: dump, logger });
    return { ...handle, statements };
  }
  const base = directBaseUrl()!;
  const name = `sdg_test_${inject("testRun")}_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${templateDb(inject("testRun"), seeded)}"`);
        break;
      } catch (err) {
        // Two files copying the template at the same instant: one waits its turn.
        if (attempt > 20) throw err;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
  const url = withDatabase(pooledBaseUrl()!, name);
  const directUrl = withDatabase(base, name);
  const handle = await connect({ url, directUrl, logger, poolMax: 8 });
  return {
    ...handle,
    statements,
    url,
    directUrl,
    close: async () => {
      await handle.close();
      const a = new pg.Client({ connectionString: base });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).finally(() => a.end());
    },
  };
}

/**
 * For races (PostgreSQL only): the enclosing suite's database and two more handles on it, each with its own pool,
 * so that the two sides of a race never share a connection. Opened in a `beforeAll`, closed in an `afterAll`;
 * `use` receives them once open.
 */
export function useRacingHandles(
  use: (opened: { db: TestDatabase; handles: [DatabaseHandle, DatabaseHandle] }) => void,
): void {
  let db: TestDatabase | undefined;
  const handles: DatabaseHandle[] = [];
  beforeAll(async () => {
    db = await openTestDatabase();
    for (let i = 0; i < 2; i++) handles.push(await connect({ url: db.url!, directUrl: db.directUrl }));
    use({ db, handles: [handles[0]!, handles[1]!] });
  });
  afterAll(async () => {
    for (const h of handles) await h.close();
    await db?.close();
  });
}

/** The soft-deletable tables of `model`, in declaration order; a test's own model brings its extra tables along. */
export function entityTables(model: DomainModel = MODEL): string[] {
  return [...model.types.values()].map((t) => t.tableName);
}

/** The example domain's soft-deletable tables. */
export const ENTITY_TABLES: readonly string[] = entityTables();

/** A fresh organization (tenant) for a test. */
export async function createOrganization(db: Database, slug = `org-${randomBytes(4).toString("hex")}`) {
  const [org] = await db.insert(organizations).values({ slug, name: slug }).returning();
  return org!;
}

/** Rows of a drizzle `sql` statement. */
export async function rowsOf<T = Record<string, unknown>>(db: Database, statement: SQL): Promise<T[]> {
  return ((await db.execute(statement)) as unknown as { rows: T[] }).rows;
}

/** Rows of a raw query. */
export async function query<T = Record<string, unknown>>(db: Database, text: string): Promise<T[]> {
  return rowsOf<T>(db, sql.raw(text));
}

/** Runs `work` on a connection of its own to `url` (PostgreSQL), closed afterwards whatever happens. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
