/**
 * The retention purge across instances: two processes' worth of connections (two pools, two engines) purge
 * the same database at once. One runs; the other does nothing and says so; every row is purged exactly once;
 * a crashed holder's lock is released by the server.
 */
import { describe, expect, it } from "vitest";

import { tryLock } from "../../src/db/advisory-lock.js";
import type { DatabaseHandle } from "../../src/db/database.js";
import { Maintenance, PURGE_LOCK_KEY } from "../../src/engine/maintenance.js";
import type { PurgeReport } from "../../src/engine/retention.js";
import { onPostgres, query, type TestDatabase, useRacingHandles } from "../support/db.js";
import { buildProject, makeEngine, newTenant } from "../support/fixtures.js";
import { ageOperation } from "../support/retention.js";

describe.skipIf(!onPostgres)("concurrent purges (PostgreSQL only: PGlite is one process with one connection)", () => {
  let db: TestDatabase;
  let handles: [DatabaseHandle, DatabaseHandle];
  let a: Maintenance;
  let b: Maintenance;

  useRacingHandles((opened) => {
    ({ db, handles } = opened);
    a = new Maintenance(makeEngine(handles[0].db), handles[0], { purgeBatchSize: 2 });
    b = new Maintenance(makeEngine(handles[1].db), handles[1], { purgeBatchSize: 2 });
  });

  /** `n` projects deleted 100 days ago, each with one task (comment, reply, assignment): 5 rows each. */
  async function expiredProjects(n: number) {
    const ctx = await newTenant(db.db);
    const engine = makeEngine(db.db);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const built = await buildProject(engine, ctx, 1);
      const { operationId } = await engine.softDelete("Project", ctx, built.project.id);
      await ageOperation(db.db, operationId, 100);
      ids.push(
        built.project.id,
        built.tasks[0]!.task.id,
        built.tasks[0]!.comment.id,
        built.tasks[0]!.reply.id,
        built.tasks[0]!.assignment.id,
      );
    }
    return { ctx, ids };
  }

  const total = (r: PurgeReport) => r.purged.reduce((n, c) => n + c.count, 0);

  it("while one instance purges, the other's purge does nothing and says so", async () => {
    const { ctx, ids } = await expiredProjects(4);
    let release!: () => void;
    const paused = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const inside = new Promise<void>((r) => (reached = r));
    const first = a.purgeExpired({
      dryRun: false,
      organizationId: ctx.organizationId,
      onProgress: async () => {
        reached();
        await paused;
      },
    });
    await inside;
    let second: PurgeReport;
    try {
      second = await b.purgeExpired({ dryRun: false, organizationId: ctx.organizationId });
    } finally {
      release();
    }
    expect(second).toMatchObject({ alreadyRunning: true, purged: [], batches: 0 });
    expect(total(await first)).toBe(ids.length);
    const left = await query(db.db, `SELECT id FROM projects WHERE organization_id = '${ctx.organizationId}'`);
    expect(left).toEqual([]);
  });

  it("two purges started together never overlap, and purge every row exactly once", async () => {
    for (let round = 0; round < 5; round++) {
      const { ctx, ids } = await expiredProjects(6);
      const reports = await Promise.all([
        a.purgeExpired({ dryRun: false, organizationId: ctx.organizationId }),
        b.purgeExpired({ dryRun: false, organizationId: ctx.organizationId }),
      ]);
      const ran = reports.filter((r) => !r.alreadyRunning);
      expect(ran.length).toBeGreaterThanOrEqual(1);
      // When both ran, one started after the other had finished (and found nothing left).
      if (ran.length === 2) {
        const [x, y] = ran.sort((p, q) => p.startedAt.getTime() - q.startedAt.getTime());
        expect(y!.startedAt.getTime()).toBeGreaterThanOrEqual(x!.finishedAt.getTime());
      }
      expect(reports.reduce((n, r) => n + total(r), 0)).toBe(ids.length);
      const audit = await query<{ entity_id: string; n: number }>(
        db.db,
        `SELECT entity_id, count(*)::int AS n FROM audit_log WHERE action = 'PURGE' AND organization_id = '${ctx.organizationId}' GROUP BY 1`,
      );
      expect(audit.map((r) => r.entity_id).sort()).toEqual([...ids].sort());
      expect(audit.every((r) => r.n === 1)).toBe(true);
    }
  });

  it("the lock dies with its holder's connection: a crashed instance does not block purges", async () => {
    const held = await tryLock(handles[0]!, PURGE_LOCK_KEY);
    expect(held).not.toBeNull();
    expect(await tryLock(handles[1]!, PURGE_LOCK_KEY)).toBeNull();
    // The holder's session goes away as a killed process's would.
    await query(
      db.db,
      `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    let again = null;
    for (let i = 0; i < 50 && !again; i++) {
      again = await tryLock(handles[1]!, PURGE_LOCK_KEY);
      if (!again) await new Promise((r) => setTimeout(r, 100));
    }
    expect(again).not.toBeNull();
    await again!();
    await held!();
  });
});
