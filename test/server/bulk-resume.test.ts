/**
 * A bulk operation survives its worker's death: SIGKILL the server mid-operation, start two new instances,
 * and exactly one of them finishes it from the last committed batch, with every row processed exactly once.
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { signToken } from "../../src/auth/token.js";
import { toGlobalId } from "../../src/graphql/ids.js";
import { onPostgres, openTestDatabase, query, type TestDatabase } from "../support/db.js";
import { spawnServer, type ServerProcess } from "../support/server-process.js";

const SECRET = "resume-secret-resume-secret-resume-secret";
const ROWS = 1500;

function startServer(db: TestDatabase): ServerProcess {
  return spawnServer({
    DATABASE_URL: db.url!,
    DATABASE_DIRECT_URL: db.directUrl!,
    AUTH_SECRET: SECRET,
    SEED_DEMO: "false",
    BULK_BATCH_SIZE: "25",
    BULK_BATCH_PAUSE_MS: "20",
  });
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!onPostgres)(
  "kill and resume (PostgreSQL only: needs several server processes on one database)",
  () => {
    let db: TestDatabase;
    const children: ChildProcess[] = [];
    let taskId: string;

    beforeAll(async () => {
      db = await openTestDatabase({ seeded: true });
      // A task of its own, so that every target is a root (no reply cascades with its parent).
      const [task] = await query<{ id: string; organization_id: string }>(
        db.db,
        `INSERT INTO tasks (organization_id, project_id, title)
       SELECT p.organization_id, p.id, 'bulk resume' FROM projects p JOIN organizations o ON o.id = p.organization_id
       WHERE o.slug = 'demo' AND p.deleted_at IS NULL LIMIT 1 RETURNING id, organization_id`,
      );
      taskId = task!.id;
      await query(
        db.db,
        `INSERT INTO comments (organization_id, task_id, body) SELECT '${task!.organization_id}', '${taskId}', 'bulk ' || g FROM generate_series(1, ${ROWS}) g`,
      );
    });
    afterAll(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
      await db?.close();
    });

    test("SIGKILL mid-operation, two new instances: one resumes from the last batch; no row twice, none skipped", async () => {
      const [{ n: liveBefore }] = (await query<{ n: number }>(
        db.db,
        `SELECT count(*)::int AS n FROM comments WHERE task_id = '${taskId}' AND deleted_at IS NULL`,
      )) as [{ n: number }];
      const first = startServer(db);
      children.push(first.child);
      const url = await first.ready;
      const token = await signToken({ sub: "admin@demo.test", role: "ADMIN", org: "demo" }, SECRET, 600_000);
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: `mutation($t: ID!) { bulkSoftDelete(filter: { type: Comment, taskId: $t }, reason: "resume test") { id total } }`,
          variables: { t: toGlobalId("Task", taskId) },
        }),
      });
      const { data } = (await res.json()) as any;
      const opId: string = data.bulkSoftDelete.id;
      expect(data.bulkSoftDelete.total).toBe(liveBefore);

      const read = async () =>
        (
          await query<any>(
            db.db,
            `SELECT status, processed, skipped, batches, total FROM bulk_operations WHERE id = '${opId}'`,
          )
        )[0];
      await until(read, (op) => op.processed >= 200, "some batches");
      first.child.kill("SIGKILL");
      await once(first.child, "exit");
      const atKill = await read();
      expect(atKill.status).toBe("RUNNING");
      expect(atKill.processed).toBeLessThan(liveBefore);

      const second = startServer(db);
      const third = startServer(db);
      children.push(second.child, third.child);
      await Promise.all([second.ready, third.ready]);
      const done = await until(read, (op) => op.status !== "RUNNING", "the operation to finish");
      expect(done).toMatchObject({ status: "SUCCEEDED", processed: liveBefore, skipped: 0, total: liveBefore });

      const [counts] = await query<{ deleted: number; live: number; audit: number; distinct_audit: number }>(
        db.db,
        `SELECT
         (SELECT count(*)::int FROM comments WHERE task_id = '${taskId}' AND deletion_operation_id = '${opId}') AS deleted,
         (SELECT count(*)::int FROM comments WHERE task_id = '${taskId}' AND deleted_at IS NULL) AS live,
         (SELECT count(*)::int FROM audit_log WHERE operation_id = '${opId}') AS audit,
         (SELECT count(DISTINCT entity_id)::int FROM audit_log WHERE operation_id = '${opId}') AS distinct_audit`,
      );
      expect(counts).toEqual({ deleted: liveBefore, live: 0, audit: liveBefore, distinct_audit: liveBefore });
      // Three server start-ups: on a loaded machine each can take many seconds.
    }, 240_000);
  },
);
