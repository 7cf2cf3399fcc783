/**
 * A lost database connection is a fault to ride out, not a reason to exit: `pg_terminate_backend` on the bulk
 * worker's lock connection, on the LISTEN connection, or on every connection of the database at once (what a
 * PostgreSQL restart does) leaves the server process serving; the bulk worker gives up its lease and the
 * operation resumes from its committed cursor, every row processed exactly once.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type PostgresBulkEvents } from "../../src/engine/bulk/index.js";
import { startTestApi, type TestApi } from "../support/api.js";
import { onPostgres, query } from "../support/db.js";
import { must, projectWithTasks } from "../support/graph.js";

const ROWS = 240;

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await read().catch(() => undefined);
    if (v !== undefined && ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const opState = (api: TestApi, id: string) =>
  must(api, `query($id: ID!) { bulkOperation(id: $id) { status processed batches total failed error } }`, { id }).then(
    (r) => r.bulkOperation,
  );

describe.skipIf(!onPostgres)(
  "lost database connections (PostgreSQL only: pg_terminate_backend needs real server connections)",
  () => {
    let api: TestApi;
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => void uncaught.push(err);

    beforeAll(async () => {
      process.on("uncaughtException", onUncaught);
      api = await startTestApi({ bulk: { batchSize: 10, pauseMs: 40, pollMs: 200 } });
      await (api.services.bulk.events as PostgresBulkEvents).whenListening();
    });
    afterAll(async () => {
      process.off("uncaughtException", onUncaught);
      await api?.close();
    });

    async function startBulk(): Promise<string> {
      const project = await projectWithTasks(api, ROWS, "conn");
      const op = await must(
        api,
        `mutation($p: ID!) { bulkSoftDelete(filter: { type: Task, projectId: $p }, reason: "conn") { id } }`,
        { p: project },
      );
      const id = op.bulkSoftDelete.id as string;
      await until(
        () => opState(api, id),
        (o) => o.processed >= 30,
        "a few batches",
      );
      return id;
    }

    async function finishedExactly(id: string) {
      const op = await until(
        () => opState(api, id),
        (o) => ["SUCCEEDED", "FAILED", "CANCELLED"].includes(o.status),
        "the operation to end",
      );
      expect(op).toMatchObject({ status: "SUCCEEDED", processed: ROWS, failed: 0, error: null });
      const uuid = Buffer.from(id, "base64url").toString().split(":")[1] ?? id;
      const [audit] = await query<{ n: number; distinct: number }>(
        api.db.db,
        `SELECT count(*)::int AS n, count(DISTINCT entity_id)::int AS distinct FROM audit_log
         WHERE action = 'SOFT_DELETE' AND operation_id = (SELECT id FROM bulk_operations WHERE id::text = '${uuid}' OR id::text = '${id}')`,
      );
      expect(audit).toEqual({ n: ROWS, distinct: ROWS });
    }

    test("terminating the bulk worker's lock connection: the worker gives up its lease, the operation resumes, the process lives", async () => {
      const id = await startBulk();
      const killed = await query<{ pid: number }>(
        api.db.db,
        `SELECT pg_terminate_backend(pid), pid FROM pg_locks
         WHERE locktype = 'advisory' AND classid = 73612 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      expect(killed.length).toBe(1);
      await finishedExactly(id);
      expect(uncaught).toEqual([]);
      expect((await api.http(`{ viewer { role } }`)).body.data).toEqual({ viewer: { role: "ADMIN" } });
    });

    test("terminating every connection of the database (as a restart does): pooled, LISTEN and lock connections reconnect", async () => {
      const id = await startBulk();
      const killed = await query<{ pid: number }>(
        api.db.db,
        `SELECT pg_terminate_backend(pid), pid FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      expect(killed.length).toBeGreaterThanOrEqual(2);
      // The statement that killed the others ran on a pooled connection: kill that one too, idle in the pool.
      await query(api.db.db, `SELECT 1`);
      await finishedExactly(id);
      expect(uncaught).toEqual([]);
      // LISTEN is back: a subscription-visible event from another instance's NOTIFY reaches this one.
      await until(
        () =>
          query<{ n: number }>(
            api.db.db,
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'`,
          ),
        (r) => r[0]!.n >= 1,
        "LISTEN again",
      );
      expect((await api.http(`{ viewer { role } }`)).status).toBe(200);
    });
  },
);
