/**
 * Start-up and embedded-database faults an unlucky operator meets: a port already in use (PORT or METRICS_PORT,
 * named) stops the server with one line and exit 1 (it used to hang after a WebSocket stack trace); a second
 * process on the same PGLITE_DIR exits 1 naming the holder's PID (both used to run, and writes were lost); a data
 * directory deleted under a running server makes /readyz say unavailable.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, test } from "vitest";
import { connect, DatabaseUnavailableError } from "../../src/db/connect.js";
import { migrate } from "../../src/db/migrate.js";
import { createApp } from "../../src/server/app.js";
import { createServices } from "../../src/server/services.js";
import { TEST_LIMITS } from "../support/api.js";
import { onPostgres, openTestDatabase, type TestDatabase } from "../support/db.js";
import { exitOf, SERVER_MAIN } from "../support/server-process.js";

// Each test starts a server process (SWC compiles it on the way): minutes on a loaded machine.
const SLOW = { timeout: 300_000 };

const run = (env: Record<string, string>) => exitOf(SERVER_MAIN, env);

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "i11-pglite-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe(`a port already in use (${onPostgres ? "PostgreSQL" : "PGlite"})`, () => {
  let db: TestDatabase | undefined;
  afterAll(async () => db?.close());

  test("exits 1 with one line naming the address and PORT, no stack trace", SLOW, async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const env: Record<string, string> = { PORT: String(port), SEED_DEMO: "false" };
      if (onPostgres) {
        db = await openTestDatabase();
        env.DATABASE_URL = db.url!;
      } else env.PGLITE_DIR = "memory://";
      const r = await run(env);
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split("\n");
      expect(lines).toEqual([`Cannot start: cannot listen on 127.0.0.1:${port} (PORT): the port is in use`]);
    } finally {
      blocker.close();
    }
  });
});

describe("a METRICS_PORT already in use", () => {
  test("exits 1 with one line naming METRICS_PORT, no stack trace", SLOW, async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await run({ PORT: "0", METRICS_PORT: String(port), PGLITE_DIR: "memory://", SEED_DEMO: "false" });
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toEqual([
        `Cannot start: cannot listen on 127.0.0.1:${port} (METRICS_PORT): the port is in use`,
      ]);
    } finally {
      blocker.close();
    }
  });
});

describe.skipIf(onPostgres)(
  "one process per embedded data directory (PGlite only: PostgreSQL has its own server)",
  () => {
    test(
      "a second process on the same PGLITE_DIR exits 1 naming the holder's PID; the holder keeps it",
      SLOW,
      async () => {
        const dir = tempDir();
        const holder = await connect({ pgliteDir: dir });
        try {
          const r = await run({ PGLITE_DIR: dir, PORT: "0" });
          expect(r.code).toBe(1);
          expect(r.stderr.trim().split("\n")).toEqual([
            `Cannot start: the embedded database in ${dir} is in use by process ${process.pid}; stop that process first (PGlite is opened by one process at a time)`,
          ]);
          // In the same process too (a script, a second connect): refused.
          await expect(connect({ pgliteDir: dir })).rejects.toBeInstanceOf(DatabaseUnavailableError);
          await holder.db.execute("SELECT 1" as never);
        } finally {
          await holder.close();
        }
        // Released: the directory opens again.
        const again = await connect({ pgliteDir: dir });
        await again.close();
      },
    );

    test("/readyz says unavailable once the data directory is deleted under the running server", SLOW, async () => {
      const dir = tempDir();
      const handle = await connect({ pgliteDir: dir });
      await migrate(handle);
      const services = createServices(handle);
      const app = await createApp({
        handle,
        engine: services.engine,
        bulk: services.bulk,
        maintenance: services.maintenance,
        secret: "x".repeat(40),
        log: pino({ level: "silent" }),
        limits: TEST_LIMITS,
      });
      const url = await app.listen(0, "127.0.0.1");
      const readyz = url.replace(/\/graphql$/, "/readyz");
      try {
        expect((await fetch(readyz)).status).toBe(200);
        rmSync(dir, { recursive: true, force: true });
        const res = await fetch(readyz);
        expect(res.status).toBe(503);
        expect(await res.json()).toMatchObject({ status: "unavailable" });
      } finally {
        await app.close();
        await services.close();
        await handle.close().catch(() => {});
      }
    });
  },
);
