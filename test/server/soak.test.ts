/**
 * A bounded soak (issue 11): for SOAK_SECONDS (default 60) two tenants drive one real server process at once with
 * nested reads (with and without deleted rows), softDelete/restore with cascades, creates and updates, and bulk
 * deletes and restores followed by progress subscriptions over WebSocket and SSE. Midway, while a bulk operation
 * holds its lock, every database connection the server has (pooled, LISTEN, the bulk worker's lock session) is
 * terminated. At the end the invariants are read back by SQL, not from what the clients were told:
 *
 * - audit rows = changes: each row's SOFT_DELETE/RESTORE entries alternate (no change without its entry, no entry
 *   without its change); every operation a client saw succeed has exactly as many entries as the rows it reported
 *   changed; entries of operations no client saw succeed come only from requests answered RETRYABLE with outcome
 *   UNKNOWN (their connection was killed during COMMIT, or outside a transaction);
 * - no live child under a deleted parent, over every CASCADE relation of the domain model;
 * - each row's state is its last audit entry: deleted exactly when that entry is a SOFT_DELETE, with that entry's
 *   operation id and time; each tenant's hash chain verifies;
 * - the process is alive and ready, and no request or subscription met an unexpected error: one whose database
 *   connection was terminated under it is answered RETRYABLE (INTERNAL_SERVER_ERROR fails the soak), and the server
 *   logged no "unexpected error".
 * Typed refusals of racing requests (ALREADY_DELETED, NOT_DELETED, PARENT_DELETED, ...) are expected and reported.
 */
import { once } from "node:events";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { signToken } from "../../src/auth/token.js";
import { MODEL } from "../../src/domain/model.js";
import type { SoftDeleteEngine } from "../../src/engine/engine.js";
import { toGlobalId } from "../../src/graphql/ids.js";
import { onPostgres, openTestDatabase, query, type TestDatabase } from "../support/db.js";
import { buildProject, makeEngine } from "../support/fixtures.js";
import { spawnServer, type ServerProcess } from "../support/server-process.js";
import { sseClient } from "../support/sse.js";
import { wsClient } from "../support/ws.js";

const SECRET = "soak-secret-soak-secret-soak-secret-0123";
const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
/** Tasks per project, per tenant: two large projects for bulk operations, three small ones. */
const PROJECT_SIZES = [30, 30, 8, 8, 8];
/** The server's pooled connections carry this application_name (its session connections name their purpose). */
const APP_NAME = "soak-server";
/** Refusals a racing client may meet; anything else is a failure. */
const TYPED = new Set(["ALREADY_DELETED", "NOT_DELETED", "PARENT_DELETED", "NOT_FOUND", "CONFLICT", "RETRYABLE"]);
const TERMINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);
const PROGRESS = `operationId status processed cascaded skipped failed`;

const countBy = (list: string[]) => list.reduce<Record<string, number>>((m, k) => ({ ...m, [k]: (m[k] ?? 0) + 1 }), {});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
/** The uuid inside a global id (or the uuid itself). */
const uuidOf = (id: string) =>
  /^[0-9a-f-]{36}$/i.test(id) ? id : (Buffer.from(id, "base64url").toString().split(":")[1] ?? id);

interface Tenant {
  slug: string;
  editor: string;
  admin: string;
  projects: string[];
  bulkProjects: string[];
  tasks: string[];
  comments: string[];
}

/** What the clients saw: outcomes by operation and code, and what succeeded with which reported change counts. */
class Tally {
  readonly outcomes = new Map<string, number>();
  /** Operation id → rows the response said it changed. */
  readonly changed = new Map<string, number>();
  /** Requests answered RETRYABLE with outcome UNKNOWN: their change may have been applied. */
  readonly uncertain: { requestId: string; what: string }[] = [];
  readonly unexpected: string[] = [];
  readonly transport: string[] = [];
  readonly created: string[] = [];
  updates = 0;
  shownDeleted = 0;

  count(key: string) {
    this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + 1);
  }
}

function startServer(db: TestDatabase): ServerProcess {
  return spawnServer({
    DATABASE_URL: db.url!,
    DATABASE_DIRECT_URL: db.directUrl!,
    PGAPPNAME: APP_NAME,
    AUTH_SECRET: SECRET,
    SEED_DEMO: "false",
    LOG_LEVEL: "warn",
    BULK_BATCH_SIZE: "5",
    BULK_BATCH_PAUSE_MS: "30",
  });
}

/** The server's complete JSON log lines so far (a line still being written is left out). */
function logLines(server: ServerProcess): string[] {
  const out = server.output().stdout;
  return out
    .slice(0, out.lastIndexOf("\n") + 1)
    .split("\n")
    .filter(Boolean);
}

describe.skipIf(!onPostgres)(
  "soak: two tenants, mixed load, connections killed midway (PostgreSQL only: pg_terminate_backend needs real server connections)",
  () => {
    let db: TestDatabase;
    let server: ServerProcess;
    let url: string;
    let monitor: pg.Client;
    const tenants: Tenant[] = [];

    beforeAll(async () => {
      db = await openTestDatabase({ seeded: true });
      const engine: SoftDeleteEngine = makeEngine(db.db);
      for (const slug of ["demo", "acme"]) {
        const [org] = await query<{ id: string }>(db.db, `SELECT id FROM organizations WHERE slug = '${slug}'`);
        const ctx = { organizationId: org!.id, actor: `soak@${slug}.test`, requestId: "soak-setup" };
        const tenant: Tenant = {
          slug,
          editor: `Bearer ${await signToken({ sub: `editor@${slug}.test`, role: "EDITOR", org: slug }, SECRET, 3_600_000)}`,
          admin: `Bearer ${await signToken({ sub: `admin@${slug}.test`, role: "ADMIN", org: slug }, SECRET, 3_600_000)}`,
          projects: [],
          bulkProjects: [],
          tasks: [],
          comments: [],
        };
        for (const size of PROJECT_SIZES) {
          const built = await buildProject(engine, ctx, size);
          const id = toGlobalId("Project", built.project.id);
          tenant.projects.push(id);
          if (size === PROJECT_SIZES[0]) tenant.bulkProjects.push(id);
          for (const t of built.tasks) {
            tenant.tasks.push(toGlobalId("Task", t.task.id));
            tenant.comments.push(toGlobalId("Comment", t.comment.id), toGlobalId("Comment", t.reply.id));
          }
        }
        tenants.push(tenant);
      }
      monitor = new pg.Client({ connectionString: db.directUrl });
      monitor.on("error", () => {});
      await monitor.connect();
      server = startServer(db);
      url = await server.ready;
    }, 180_000);

    afterAll(async () => {
      const child = server?.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await Promise.race([once(child, "exit"), sleep(10_000)]);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
      await monitor?.end().catch(() => {});
      await db?.close();
    });

    test(
      `${SECONDS} s of mixed load from two tenants with every server connection killed midway: the invariants hold by SQL, the process serves`,
      async () => {
        const tally = new Tally();
        const [{ max: auditBefore }] = (
          await monitor.query<{ max: string }>(`SELECT coalesce(max(id), 0)::text AS max FROM audit_log`)
        ).rows as [{ max: string }];
        const started = Date.now();
        const deadline = started + SECONDS * 1000;
        const running = () => Date.now() < deadline;
        let requestNo = 0;

        /** One GraphQL request over HTTP; errors are classified, the data returned (null when none). */
        async function gql(what: string, auth: string, q: string, variables: Record<string, unknown> = {}) {
          const requestId = `soak-${++requestNo}`;
          let status: number;
          let body: { data?: any; errors?: { extensions?: { code?: string; outcome?: string } }[] };
          try {
            const res = await fetch(url, {
              method: "POST",
              headers: { "content-type": "application/json", authorization: auth, "x-request-id": requestId },
              body: JSON.stringify({ query: q, variables }),
              signal: AbortSignal.timeout(60_000),
            });
            status = res.status;
            body = (await res.json()) as typeof body;
          } catch (err) {
            tally.transport.push(`${what}: ${String(err)}`);
            return null;
          }
          const codes = (body.errors ?? []).map((e) => e.extensions?.code ?? "NO_CODE");
          if (status >= 500 || codes.includes("INTERNAL_SERVER_ERROR")) {
            tally.count(`${what} INTERNAL_SERVER_ERROR`);
            tally.unexpected.push(`${what} (${requestId}): HTTP ${status} ${JSON.stringify(body.errors)}`);
            return null;
          }
          if (body.errors?.some((e) => e.extensions?.code === "RETRYABLE" && e.extensions.outcome === "UNKNOWN"))
            tally.uncertain.push({ requestId, what });
          for (const code of codes) {
            tally.count(`${what} ${code}`);
            if (!TYPED.has(code)) tally.unexpected.push(`${what}: ${code} ${JSON.stringify(body.errors)}`);
          }
          if (!codes.length) tally.count(`${what} ok`);
          return codes.length ? null : body.data;
        }

        /** Follows a bulk operation's progress to its terminal event, over WebSocket or SSE. */
        function follow(tenant: Tenant, id: string, transport: "ws" | "sse"): Promise<any> {
          const q = `subscription($id: ID!) { bulkOperationProgress(id: $id) { ${PROGRESS} } }`;
          return new Promise((resolve) => {
            let last: any;
            let settled = false;
            const done = (value: any) => {
              if (settled) return;
              settled = true;
              dispose();
              resolve(value);
            };
            const sink = {
              next: (result: any) => {
                const code = result.errors?.[0]?.extensions?.code;
                if (code) {
                  tally.count(`progress(${transport}) ${code}`);
                  // A killed connection under the stream's read: the client follows up with a query.
                  if (code !== "RETRYABLE")
                    tally.unexpected.push(`progress(${transport}): ${JSON.stringify(result.errors)}`);
                  return done(null);
                }
                last = result.data.bulkOperationProgress;
                if (TERMINAL.has(last.status)) done(last);
              },
              error: (err: unknown) => {
                tally.count(`progress(${transport}) error`);
                tally.unexpected.push(`progress(${transport}) failed: ${JSON.stringify(err)}`);
                done(null);
              },
              complete: () => done(last && TERMINAL.has(last.status) ? last : null),
            };
            let dispose: () => void;
            if (transport === "ws") {
              const { client } = wsClient(url, tenant.admin);
              const stop = client.subscribe({ query: q, variables: { id } }, sink);
              dispose = () => {
                stop();
                void client.dispose();
              };
            } else {
              const client = sseClient(url, tenant.admin);
              const stop = client.subscribe({ query: q, variables: { id } }, sink);
              dispose = () => {
                stop();
                client.dispose();
              };
            }
          });
        }

        /** The final state of a bulk operation: from its subscription, else read when the subscription gave none. */
        async function finish(tenant: Tenant, id: string, transport: "ws" | "sse") {
          const final = await follow(tenant, id, transport);
          if (final) {
            tally.count(`progress(${transport}) terminal event`);
            return final;
          }
          for (;;) {
            const data = await gql(
              "bulkOperation",
              tenant.admin,
              `query($id: ID!) { bulkOperation(id: $id) { status processed cascaded } }`,
              { id },
            );
            if (data && TERMINAL.has(data.bulkOperation.status)) return data.bulkOperation;
            await sleep(100);
          }
        }

        const NESTED = `query($all: Boolean!) { projects(first: 10, includeDeleted: $all) { totalCount edges { node {
          id isDeleted tasks(first: 40, includeDeleted: $all) { totalCount edges { node { id isDeleted
            comments(first: 10, includeDeleted: $all) { totalCount edges { node { id isDeleted author { id } } } }
            assignments(first: 5, includeDeleted: $all) { totalCount edges { node { id isDeleted user { id } } } } } } } } } } }`;

        async function reader(tenant: Tenant) {
          while (running()) {
            const all = Math.random() < 0.5;
            const data = await gql(all ? "read includeDeleted" : "read live", tenant.editor, NESTED, { all });
            // A read without includeDeleted never shows a deleted row, at any level, whatever runs beside it.
            if (data && !all) tally.shownDeleted += (JSON.stringify(data).match(/"isDeleted":true/g) ?? []).length;
            await sleep(Math.random() * 20);
          }
        }

        async function mutator(tenant: Tenant) {
          while (running()) {
            const r = Math.random();
            const id = r < 0.1 ? pick(tenant.projects) : r < 0.55 ? pick(tenant.tasks) : pick(tenant.comments);
            const kind = Buffer.from(id, "base64url").toString().split(":")[0];
            if (Math.random() < 0.5) {
              const data = await gql(
                `softDelete ${kind}`,
                tenant.editor,
                `mutation($id: ID!) { softDelete(id: $id, reason: "soak") { operationId cascaded { count } } }`,
                { id },
              );
              if (data) record(data.softDelete);
            } else {
              const data = await gql(
                `restore ${kind}`,
                tenant.editor,
                `mutation($id: ID!, $up: Boolean!) { restore(id: $id, withAncestors: $up) { operationId cascaded { count } } }`,
                { id, up: Math.random() < 0.3 },
              );
              if (data) record(data.restore);
            }
            await sleep(Math.random() * 20);
          }
        }

        function record(payload: { operationId: string; cascaded: { count: number }[] }) {
          const rows = 1 + payload.cascaded.reduce((n, c) => n + c.count, 0);
          tally.changed.set(uuidOf(payload.operationId), rows);
        }

        async function writer(tenant: Tenant) {
          while (running()) {
            if (Math.random() < 0.5) {
              const data = await gql(
                "createComment",
                tenant.editor,
                `mutation($t: ID!) { createComment(input: { taskId: $t, body: "soak" }) { id } }`,
                { t: pick(tenant.tasks) },
              );
              if (data) tally.created.push(uuidOf(data.createComment.id));
            } else {
              const data = await gql(
                "updateTask",
                tenant.editor,
                `mutation($t: ID!, $title: String!) { updateTask(id: $t, input: { title: $title }) { id } }`,
                { t: pick(tenant.tasks), title: `soak ${requestNo}` },
              );
              if (data) tally.updates++;
            }
            await sleep(Math.random() * 20);
          }
        }

        async function bulker(tenant: Tenant) {
          let round = 0;
          while (running()) {
            const transport = round++ % 2 ? "sse" : "ws";
            const data = await gql(
              "bulkSoftDelete",
              tenant.admin,
              `mutation($p: ID!) { bulkSoftDelete(filter: { type: Task, projectId: $p }, reason: "soak bulk") { id } }`,
              { p: pick(tenant.bulkProjects) },
            );
            if (!data) continue;
            const id = data.bulkSoftDelete.id as string;
            const deleted = await finish(tenant, id, transport);
            tally.count(`bulkSoftDelete ${deleted.status}`);
            tally.changed.set(uuidOf(id), deleted.processed + deleted.cascaded);
            if (deleted.processed === 0) continue;
            const restore = await gql(
              "bulkRestore",
              tenant.admin,
              `mutation($op: ID!) { bulkRestore(operationId: $op) { id } }`,
              { op: id },
            );
            if (!restore) continue;
            const restored = await finish(tenant, restore.bulkRestore.id, transport === "ws" ? "sse" : "ws");
            tally.count(`bulkRestore ${restored.status}`);
            tally.changed.set(uuidOf(restore.bulkRestore.id), restored.processed + restored.cascaded);
          }
        }

        /** Midway, once a bulk operation holds its lock: terminate every connection the server has. */
        async function killer() {
          await sleep((SECONDS * 1000) / 2);
          const lockSeen = Date.now() + 20_000;
          while (Date.now() < lockSeen) {
            const { rows } = await monitor.query(
              `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 73612 AND granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
            );
            if (rows.length) break;
            await sleep(5);
          }
          const { rows } = await monitor.query<{ application_name: string }>(
            `SELECT pg_terminate_backend(pid), application_name FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid()
             AND (application_name = $1 OR application_name LIKE 'softdelete-graphql %')`,
            [APP_NAME],
          );
          return rows.map((r) => r.application_name);
        }

        const workers = tenants.flatMap((t) => [reader(t), reader(t), mutator(t), mutator(t), writer(t), bulker(t)]);
        const [killed] = await Promise.all([killer(), ...workers]);
        // Every bulk operation accepted has ended (the workers waited for theirs); none is left behind.
        const { rows: unfinished } = await monitor.query(
          `SELECT id, status FROM bulk_operations WHERE status NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED')`,
        );
        const elapsed = (Date.now() - started) / 1000;

        // The kill reached the pool, the LISTEN session and a bulk worker's lock session.
        expect(new Set(killed)).toEqual(new Set([APP_NAME, "softdelete-graphql listen", "softdelete-graphql lock"]));
        expect(unfinished).toEqual([]);

        // The process is alive and serving.
        expect(server.child.exitCode).toBeNull();
        expect(server.child.signalCode).toBeNull();
        expect((await fetch(new URL("/readyz", url))).status).toBe(200);
        for (const tenant of tenants) {
          const data = await gql("auditIntegrity", tenant.admin, `{ auditIntegrity { ok entries } }`);
          expect(data?.auditIntegrity.ok, `${tenant.slug}'s audit hash chain`).toBe(true);
        }

        // No unexpected error at all: a terminated connection is answered RETRYABLE, and not logged as unexpected.
        const logged = logLines(server).map((l) => JSON.parse(l) as { msg: string; err?: unknown; requestId?: string });
        expect(logged.filter((l) => l.msg === "unexpected error").map((l) => JSON.stringify(l))).toEqual([]);
        expect(tally.unexpected).toEqual([]);
        expect(tally.transport).toEqual([]);
        expect(tally.shownDeleted, "deleted rows shown without includeDeleted").toBe(0);

        // Each row's SOFT_DELETE/RESTORE entries alternate, starting with a delete: one entry per effective change.
        const [trail] = await query<{ repeated: number; restoreFirst: number; changes: number }>(
          db.db,
          `SELECT count(*) FILTER (WHERE action = prev)::int AS repeated,
                count(*) FILTER (WHERE prev IS NULL AND action = 'RESTORE')::int AS "restoreFirst",
                count(*) FILTER (WHERE id > ${auditBefore})::int AS changes
         FROM (SELECT id, action, lag(action) OVER (PARTITION BY entity_id ORDER BY id) AS prev
               FROM audit_log WHERE action IN ('SOFT_DELETE', 'RESTORE')) e`,
        );
        expect(trail).toMatchObject({ repeated: 0, restoreFirst: 0 });

        // Every operation a client saw succeed wrote exactly as many entries as the rows it reported changing.
        const byOperation = new Map(
          (
            await query<{ op: string; n: number }>(
              db.db,
              `SELECT operation_id AS op, count(*)::int AS n FROM audit_log
             WHERE id > ${auditBefore} AND action IN ('SOFT_DELETE', 'RESTORE') GROUP BY operation_id`,
            )
          ).map((r) => [r.op, r.n]),
        );
        const mismatched = [...tally.changed].filter(([op, n]) => (byOperation.get(op) ?? 0) !== n);
        expect(mismatched).toEqual([]);
        // Entries of operations no client saw succeed: only from requests answered RETRYABLE with outcome UNKNOWN (the
        // connection was killed during COMMIT: the change committed, the answer was lost), by the request id recorded.
        // One answered NOT_APPLIED must have left nothing.
        const unknownOps = [...byOperation.keys()].filter((op) => !tally.changed.has(op));
        const unknown = await query<{ op: string; request_id: string; action: string; n: number }>(
          db.db,
          `SELECT operation_id AS op, request_id, action, count(*)::int AS n FROM audit_log
         WHERE id > ${auditBefore} AND operation_id = ANY('{${unknownOps.join(",")}}'::uuid[])
         GROUP BY operation_id, request_id, action`,
        );
        const answeredUnknown = new Set(tally.uncertain.map((i) => i.requestId));
        expect(unknown.filter((u) => !answeredUnknown.has(u.request_id))).toEqual([]);

        // Creates and updates: one entry per row created, as many UPDATE entries as updates answered (give or
        // take the requests that got no definite answer).
        const [writes] = await query<{
          creates: number;
          distinctCreates: number;
          updates: number;
          orphanCreates: number;
        }>(
          db.db,
          `SELECT count(*) FILTER (WHERE action = 'CREATE')::int AS creates,
                count(DISTINCT entity_id) FILTER (WHERE action = 'CREATE')::int AS "distinctCreates",
                count(*) FILTER (WHERE action = 'UPDATE')::int AS updates,
                count(*) FILTER (WHERE action = 'CREATE' AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.id = a.entity_id))::int AS "orphanCreates"
         FROM audit_log a WHERE id > ${auditBefore}`,
        );
        expect(writes!.creates).toBe(writes!.distinctCreates);
        expect(writes!.orphanCreates).toBe(0);
        const [createdWithEntry] = await query<{ n: number }>(
          db.db,
          `SELECT count(DISTINCT entity_id)::int AS n FROM audit_log WHERE id > ${auditBefore} AND action = 'CREATE'
           AND entity_id = ANY('{${tally.created.join(",")}}'::uuid[])`,
        );
        expect(createdWithEntry!.n).toBe(tally.created.length);
        expect(writes!.creates - tally.created.length).toBeLessThanOrEqual(tally.uncertain.length);
        expect(writes!.updates).toBeGreaterThanOrEqual(tally.updates);
        expect(writes!.updates - tally.updates).toBeLessThanOrEqual(tally.uncertain.length);

        // No live child under a deleted parent, over every CASCADE relation the domain model declares.
        const cascades = MODEL.relationDeclarations.filter((r) => r.policy === "CASCADE");
        expect(cascades.length).toBeGreaterThan(0);
        const orphans: Record<string, number> = {};
        for (const r of cascades) {
          const child = MODEL.types.get(r.child)!.tableName;
          const parent = MODEL.types.get(r.parent)!.tableName;
          const [row] = await query<{ n: number }>(
            db.db,
            `SELECT count(*)::int AS n FROM ${child} c JOIN ${parent} p ON p.id = c.${r.column.name}
           WHERE c.deleted_at IS NULL AND p.deleted_at IS NOT NULL`,
          );
          orphans[r.name] = row!.n;
        }
        expect(orphans).toEqual(Object.fromEntries(cascades.map((r) => [r.name, 0])));

        // Each row's state is its last SOFT_DELETE/RESTORE entry (none: live), down to the operation id and time.
        const states: Record<string, number> = {};
        for (const [name, info] of MODEL.types) {
          const [row] = await query<{ n: number }>(
            db.db,
            `SELECT count(*)::int AS n FROM ${info.tableName} r
           LEFT JOIN LATERAL (SELECT action, operation_id, at FROM audit_log a
             WHERE a.entity_id = r.id AND a.action IN ('SOFT_DELETE', 'RESTORE') ORDER BY a.id DESC LIMIT 1) last ON true
           WHERE (r.deleted_at IS NOT NULL) <> coalesce(last.action = 'SOFT_DELETE', false)
              OR (r.deleted_at IS NOT NULL
                  AND (r.deletion_operation_id IS DISTINCT FROM last.operation_id OR r.deleted_at IS DISTINCT FROM last.at))`,
          );
          states[name] = row!.n;
        }
        expect(states).toEqual(Object.fromEntries([...MODEL.types.keys()].map((n) => [n, 0])));

        const outcomes = Object.fromEntries([...tally.outcomes].sort(([a], [b]) => a.localeCompare(b)));
        process.stderr.write(
          `soak: ${elapsed.toFixed(1)} s, ${requestNo} requests, ${trail!.changes} soft-delete/restore entries, ` +
            `${tally.changed.size} operations checked, killed ${JSON.stringify(countBy(killed))}, ` +
            `${tally.uncertain.length} answered RETRYABLE with outcome UNKNOWN, ` +
            `operations committed but answered so: ${JSON.stringify(unknown)}; outcomes ${JSON.stringify(outcomes)}\n`,
        );
        // Bulk operations ride out the kill: each one ends SUCCEEDED (rows raced away are skipped, not failed).
        expect(tally.outcomes.get("bulkSoftDelete SUCCEEDED") ?? 0).toBeGreaterThan(0);
        expect([...tally.outcomes.keys()].filter((k) => /^bulk\w+ (FAILED|CANCELLED)$/.test(k))).toEqual([]);
      },
      (SECONDS + 240) * 1000,
    );
  },
);
