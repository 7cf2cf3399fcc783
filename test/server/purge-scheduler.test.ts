/**
 * The scheduled purge (PURGE_INTERVAL) as `npm start` builds it: off by default; when on, it purges every
 * organization again and again, and stops cleanly (after its current batch) when the server stops.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PurgeReport } from "../../src/engine/retention.js";
import { PurgeScheduler } from "../../src/server/purge-scheduler.js";
import { createServices } from "../../src/server/services.js";
import { openTestDatabase, query, type TestDatabase } from "../support/db.js";
import { buildProject, makeEngine, newTenant } from "../support/fixtures.js";
import { ageOperation } from "../support/retention.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await openTestDatabase();
});

afterAll(async () => {
  await db?.close();
});

async function expiredProjects(n: number) {
  const engine = makeEngine(db.db);
  const ctx = await newTenant(db.db);
  for (let i = 0; i < n; i++) {
    const built = await buildProject(engine, ctx, 1);
    const { operationId } = await engine.softDelete("Project", ctx, built.project.id);
    await ageOperation(db.db, operationId, 100);
  }
  return ctx;
}

const until = async (check: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  expect(check()).toBe(true);
};

describe("scheduled purge", () => {
  it("is off by default: starting it schedules nothing", async () => {
    const services = createServices(db);
    expect(services.maintenance.purgeIntervalMs).toBe(0);
    services.purge.start();
    await services.close();
  });

  it("purges every organization on its schedule, and stops when told", async () => {
    const ctx = await expiredProjects(2);
    const services = createServices(db, { maintenance: { purgeIntervalMs: 50 } });
    const reports: PurgeReport[] = [];
    const scheduler = new PurgeScheduler(services.maintenance, {
      intervalMs: 50,
      firstDelayMs: 0,
      onReport: (r) => reports.push(r),
    });
    scheduler.start();
    await until(() => reports.length >= 2);
    await scheduler.stop();
    const seen = reports.length;
    expect(reports[0]).toMatchObject({ dryRun: false, alreadyRunning: false });
    expect(reports[0]!.purged.find((c) => c.type === "Project")?.count).toBe(2);
    expect(reports.slice(1).every((r) => r.purged.length === 0)).toBe(true);
    expect(await query(db.db, `SELECT id FROM projects WHERE organization_id = '${ctx.organizationId}'`)).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(reports.length).toBe(seen);
    await services.close();
  });

  it("a stop during a run ends it after the current batch", async () => {
    await expiredProjects(4);
    const services = createServices(db, { maintenance: { purgeBatchSize: 1 } });
    const reports: PurgeReport[] = [];
    const scheduler = new PurgeScheduler(services.maintenance, {
      intervalMs: 60_000,
      firstDelayMs: 0,
      onReport: (r) => reports.push(r),
    });
    let stopping: Promise<void> | undefined;
    const original = services.maintenance.purgeExpired.bind(services.maintenance);
    // Ask for the stop from inside the first batch's progress report, as a SIGTERM arriving mid-run would.
    services.maintenance.purgeExpired = (request) =>
      original({ ...request, onProgress: () => void (stopping ??= scheduler.stop()) });
    scheduler.start();
    await until(() => reports.length === 1);
    await stopping;
    expect(reports[0]).toMatchObject({ interrupted: true, batches: 1 });
    await services.close();
  });
});
