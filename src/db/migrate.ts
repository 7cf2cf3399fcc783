/**
 * Applies the committed drizzle-kit migrations. On PostgreSQL an advisory lock serialises concurrent
 * start-ups, so many instances may start at once against one database.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { DatabaseHandle } from "./database.js";

/** Arbitrary but fixed: the advisory lock key every instance takes while migrating. */
const MIGRATION_LOCK_KEY = 7_361_224_901;

export function migrationsFolder(): string {
  for (const rel of ["../../drizzle", "../../../drizzle"]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  throw new Error("drizzle/ migrations folder not found beside the package");
}

export async function migrate(handle: DatabaseHandle): Promise<void> {
  const folder = migrationsFolder();
  if (handle.kind === "pglite") {
    const { migrate: run } = await import("drizzle-orm/pglite/migrator");
    await run(handle.db as never, { migrationsFolder: folder });
    return;
  }
  const { drizzle } = await import("drizzle-orm/node-postgres");
  const { migrate: run } = await import("drizzle-orm/node-postgres/migrator");
  const client = await handle.pool!.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await run(drizzle({ client }), { migrationsFolder: folder });
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}
