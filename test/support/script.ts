/**
 * Driving a script through its `main`, as `npm run <script>` would: the lines it prints, and the database it works
 * on. On PostgreSQL that is the test file's own database, passed by URL; on PGlite a data directory that the script
 * opens itself, so the test's own handle must be closed (`done`) before the script runs: one process at a time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { connect } from "../../src/db/connect.js";
import type { DatabaseHandle } from "../../src/db/database.js";
import { migrate } from "../../src/db/migrate.js";
import { createRegistry } from "../../src/domain/model.js";
import { SoftDeleteEngine } from "../../src/engine/engine.js";
import { seedDemo } from "../../src/seed/demo.js";
import { DB_KIND, openTestDatabase, type TestDatabase } from "./db.js";

/** A script's `Output`, recording the lines it prints; `terminal` is where a progress bar would go. */
export function capture(terminal?: NodeJS.WritableStream) {
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const out = {
    stdout: (l: string) => void lines.stdout.push(l),
    stderr: (l: string) => void lines.stderr.push(l),
    terminal,
  };
  return { out, lines };
}

export interface ScriptDatabase {
  /** The settings that point the script at the database (set once the suite's `beforeAll` ran). */
  readonly env: NodeJS.ProcessEnv;
  /** A handle for the test's own reads and writes. */
  open(): Promise<DatabaseHandle>;
  /** Done with `open`'s handle: closed on PGlite, so the script can open the directory. */
  done(handle: DatabaseHandle): Promise<void>;
}

/**
 * A migrated database for the scripts of the enclosing suite, made in its `beforeAll` and removed in its
 * `afterAll`.
 * @param options.seeded with the demo seed (organizations `demo` and `acme`). @default false
 * @param options.env more settings for the script, e.g. `{ PURGE_BATCH_SIZE: "1" }`
 */
export function useScriptDatabase(options: { seeded?: boolean; env?: NodeJS.ProcessEnv } = {}): ScriptDatabase {
  let db: TestDatabase | undefined;
  let dir: string | undefined;
  let env: NodeJS.ProcessEnv = {};

  beforeAll(async () => {
    if (DB_KIND === "postgres") {
      db = await openTestDatabase({ seeded: options.seeded ?? false });
      env = { DATABASE_URL: db.url!, DATABASE_DIRECT_URL: db.directUrl!, ...options.env };
    } else {
      dir = mkdtempSync(join(tmpdir(), "sdg-script-"));
      const h = await connect({ pgliteDir: dir });
      await migrate(h);
      if (options.seeded) await seedDemo(h.db, new SoftDeleteEngine(h.db, createRegistry()));
      await h.close();
      env = { PGLITE_DIR: dir, ...options.env };
    }
  });

  afterAll(async () => {
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  return {
    get env() {
      return env;
    },
    open: async () => db ?? connect({ pgliteDir: dir! }),
    done: async (handle) => void (db ? undefined : await handle.close()),
  };
}
