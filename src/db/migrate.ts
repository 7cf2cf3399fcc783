/**
 * Applies the committed drizzle-kit migrations. On PostgreSQL they run on a session connection of their own
 * (DATABASE_DIRECT_URL: the primary, not a pooler), under a session advisory lock that serialises concurrent
 * start-ups, so many instances may start at once against one database.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { DatabaseHandle } from "./database.js";
import { openSession } from "./sessions.js";

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
  const client = await openSession(handle, "migrate");
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    // Closing the session releases the lock whatever happens.
    await run(drizzle({ client }), { migrationsFolder: folder });
  } finally {
    await client.end().catch(() => {});
  }
}
