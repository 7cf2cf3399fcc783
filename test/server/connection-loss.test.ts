/**
 * A lost database connection is a fault to ride out, not a reason to exit: `pg_terminate_backend` on the bulk
 * worker's lock connection, on the LISTEN connection, or on every connection of the database at once (what a
 * PostgreSQL restart does) leaves the server process serving; the bulk worker gives up its lease and the
 * operation resumes from its committed cursor, every row processed exactly once.
 *
 * A request whose own connection is terminated under it is answered RETRYABLE (never INTERNAL_SERVER_ERROR), on
 * every transport: a read or a change cut off before COMMIT (`outcome: "NOT_APPLIED"`: PostgreSQL rolled it back)
 * and one cut off during COMMIT (`outcome: "UNKNOWN"`). Each request is made to wait on a lock the test holds, so
 * the kill lands where the test says, not by timing.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type PostgresBulkEvents } from "../../src/engine/bulk/index.js";
import { toGlobalId } from "../../src/graphql/ids.js";
import { startTestApi, type TestApi } from "../support/api.js";
import { onPostgres, query } from "../support/db.js";
import { must, projectWithTasks } from "../support/graph.js";
import { sseClient, sseResults } from "../support/sse.js";
import { wsClient, wsExec } from "../support/ws.js";

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

    /**
     * Runs `request` while `hold` (on a session of the test's own) makes it wait on a lock, and terminates each
     * server connection that waits on it (`waiting` selects them from pg_locks) until the request answers: a
     * compiled read that fails is run again through the resolvers, which wait again. Then releases the lock.
     */
    async function killedWhileWaiting<T>(hold: string, waiting: string, request: () => Promise<T>): Promise<T> {
      const holder = new pg.Client({ connectionString: api.db.directUrl });
      await holder.connect();
      try {
        await holder.query("BEGIN");
        await holder.query(hold);
        let answered = false;
        const answer = request().finally(() => (answered = true));
        let killed = 0;
        const deadline = Date.now() + 30_000;
        while (!answered && Date.now() < deadline) {
          const victims = await query<{ pid: number }>(
            api.db.db,
            `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid)
             WHERE NOT l.granted AND a.datname = current_database() AND a.backend_type = 'client backend'
               AND l.pid <> pg_backend_pid() AND ${waiting}`,
          );
          for (const { pid } of victims) await query(api.db.db, `SELECT pg_terminate_backend(${pid})`);
          killed += victims.length;
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(killed, "connections terminated while waiting").toBeGreaterThan(0);
        return await answer;
      } finally {
        await holder.query("ROLLBACK").catch(() => {});
        await holder.end();
      }
    }

    const retryable = (outcome: string) => ({
      code: "RETRYABLE",
      retryable: true,
      cause: "CONNECTION_LOST",
      outcome,
    });

    test("a mutation whose connection is terminated before COMMIT: RETRYABLE, NOT_APPLIED (rolled back), HTTP 400 as other refusals", async () => {
      const project = await projectWithTasks(api, 1, "kill-tx");
      const projectUuid = Buffer.from(project, "base64url").toString().split(":")[1];
      const { status, body } = await killedWhileWaiting(
        `SELECT 1 FROM projects WHERE id = '${projectUuid}' FOR UPDATE`,
        "l.locktype IN ('transactionid', 'tuple')",
        () => api.http(`mutation($id: ID!) { softDelete(id: $id, reason: "kill") { operationId } }`, { id: project }),
      );
      expect(body.errors?.map((e) => e.extensions)).toEqual([retryable("NOT_APPLIED")]);
      expect(body.data).toBeNull();
      expect(status).toBe((await api.http(`mutation { softDelete(id: "UHJvamVjdDpub25l") { operationId } }`)).status);
      expect(status).toBe(400);
      // PostgreSQL rolled it back: sent again, the same request succeeds.
      const again = await api.http(`mutation($id: ID!) { softDelete(id: $id, reason: "kill") { operationId } }`, {
        id: project,
      });
      expect(again.body.errors).toBeUndefined();
    });

    test("a mutation whose connection is terminated during COMMIT: RETRYABLE, outcome UNKNOWN", async () => {
      const project = await projectWithTasks(api, 1, "kill-commit");
      const [task] = await query<{ id: string }>(
        api.db.db,
        `SELECT t.id FROM tasks t JOIN projects p ON p.id = t.project_id
         WHERE p.id::text = '${Buffer.from(project, "base64url").toString().split(":")[1]}'`,
      );
      // A deferred constraint trigger runs at COMMIT: made to wait on an advisory lock the test holds.
      await query(
        api.db.db,
        `CREATE FUNCTION wait_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN PERFORM pg_advisory_xact_lock(424242); RETURN NULL; END $$;
         CREATE CONSTRAINT TRIGGER wait_at_commit AFTER UPDATE ON tasks DEFERRABLE INITIALLY DEFERRED
           FOR EACH ROW WHEN (NEW.title = 'wait at commit') EXECUTE FUNCTION wait_at_commit()`,
      );
      try {
        const { body } = await killedWhileWaiting(
          `SELECT pg_advisory_xact_lock(424242)`,
          "l.locktype = 'advisory' AND l.objid = 424242",
          () =>
            api.http(`mutation($id: ID!) { updateTask(id: $id, input: { title: "wait at commit" }) { id } }`, {
              id: toGlobalId("Task", task!.id),
            }),
        );
        expect(body.errors?.map((e) => e.extensions)).toEqual([retryable("UNKNOWN")]);
      } finally {
        await query(api.db.db, `DROP TRIGGER wait_at_commit ON tasks; DROP FUNCTION wait_at_commit()`);
      }
    });

    test("a read whose connection is terminated, over HTTP, WebSocket and SSE: RETRYABLE, never INTERNAL_SERVER_ERROR", async () => {
      const read = `{ tasks(first: 1) { totalCount } }`;
      const hold = `LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE`;
      const waiting = "l.locktype = 'relation' AND l.relation = 'tasks'::regclass";
      const overHttp = await killedWhileWaiting(hold, waiting, () => api.http(read));
      expect(overHttp.body.errors?.map((e) => e.extensions)).toEqual([retryable("UNKNOWN")]);
      expect(overHttp.status).toBe(400);

      const ws = wsClient(api.url, await api.auth());
      try {
        const overWs = await killedWhileWaiting(hold, waiting, () => wsExec(ws.client, read));
        expect(overWs.errors.map((e: { extensions: unknown }) => e.extensions)).toEqual([retryable("UNKNOWN")]);
      } finally {
        await ws.client.dispose();
      }

      const sse = sseClient(api.url, await api.auth());
      try {
        const overSse = await killedWhileWaiting(hold, waiting, () => sseResults(sse, read));
        expect(overSse.flatMap((r) => r.errors.map((e: { extensions: unknown }) => e.extensions))).toEqual([
          retryable("UNKNOWN"),
        ]);
      } finally {
        sse.dispose();
      }
      // The connection is gone, the pool is not: the same read is answered.
      expect((await api.http(read)).body.errors).toBeUndefined();
    });

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
