/**
 * Row-level security with the logins it is meant for (README, "Tenant isolation in PostgreSQL"): migrations,
 * the demo seed and work across organizations as the tables' owner (`DATABASE_OWNER_URL`, not a superuser), every
 * request on `DATABASE_URL` as a login that is a member of `softdelete_app` only. The server and the operator
 * scripts run as child processes, as an operator starts them; then SQL sent on the request login's own connection
 * (what injected SQL could send) tries to get past the policies. Also: the single-login mode as the owner without
 * superuser fails closed, and start-up refuses a request login that could bypass the policies.
 *
 * PostgreSQL only: PGlite has one login, a superuser.
 */
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { inject } from "vitest";
import { onPostgres, withClient } from "../support/db.js";
import { withDatabase } from "../support/global-setup.js";
import {
  bannerToken,
  exitOf as exitOfScript,
  SERVER_MAIN,
  spawnServer,
  stopServer,
  type ServerProcess,
} from "../support/server-process.js";
import { directBaseUrl } from "../support/topology.js";

const SECRET = "least-privilege-secret-least-privilege-0123";
/** Every child's own settings: a known secret, and warnings in the log (one test reads one). */
const BASE = { AUTH_SECRET: SECRET, LOG_LEVEL: "warn" };

const exitOf = (script: string, env: Record<string, string>, args: string[] = []) =>
  exitOfScript(script, { ...BASE, ...env }, args);

interface Server extends ServerProcess {
  url: string;
  token: string;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const server = spawnServer({ ...BASE, SEED_DEMO: "true", ...env });
  const url = await server.ready;
  return { ...server, url, token: await bannerToken(server) };
}

async function gql(server: Server, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${server.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data;
}

/** Opens a connection as `url`'s login, runs `work`, closes it. */
const as = withClient;

/** The SQLSTATE `statement` fails with, or "ok". */
async function outcome(client: pg.Client, statement: string): Promise<string> {
  try {
    await client.query(statement);
    return "ok";
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/** Every test role's password (the container run's PostgreSQL checks passwords; the local one trusts loopback). */
const PASSWORD = "least-privilege";

const withUser = (url: string, user: string) => {
  const u = new URL(url);
  u.username = user;
  u.password = PASSWORD;
  return u.toString();
};

describe.skipIf(!onPostgres)("least privilege (skipped on PGlite: it has one login, a superuser)", () => {
  const run_ = inject("testRun");
  const owner = `sdg_lp_owner_${run_}`;
  const api = `sdg_lp_api_${run_}`;
  const stranger = `sdg_lp_stranger_${run_}`;
  const dbName = `sdg_lp_${run_}`;
  let adminUrl: string;
  let ownerUrl: string;
  let apiUrl: string;
  let server: Server | undefined;

  beforeAll(async () => {
    adminUrl = directBaseUrl()!;
    ownerUrl = withUser(withDatabase(adminUrl, dbName), owner);
    apiUrl = withUser(withDatabase(adminUrl, dbName), api);
    await as(adminUrl, async (c) => {
      // Roles are cluster-wide: the test's own names, gone at the end. The owner is no superuser; CREATEROLE lets
      // migration 0005 grant it the two RLS roles.
      await c.query(`CREATE ROLE "${owner}" LOGIN CREATEROLE PASSWORD '${PASSWORD}'`);
      await c.query(`CREATE ROLE "${api}" LOGIN PASSWORD '${PASSWORD}' IN ROLE softdelete_app`);
      await c.query(`CREATE ROLE "${stranger}" LOGIN PASSWORD '${PASSWORD}'`);
      await c.query(`CREATE DATABASE "${dbName}" OWNER "${owner}"`);
    });
    server = await startServer({
      DATABASE_URL: apiUrl,
      DATABASE_OWNER_URL: ownerUrl,
      OPERATOR_SUBJECTS: "admin@demo.test",
    });
  }, 90_000);

  afterAll(async () => {
    await stopServer(server);
    await as(adminUrl, async (c) => {
      await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      for (const role of [api, stranger, owner]) await c.query(`DROP ROLE IF EXISTS "${role}"`);
    });
  });

  test("the migrated tables belong to the owner, who is no superuser", async () => {
    const [row] = await as(
      withDatabase(adminUrl, dbName),
      async (c) =>
        (
          await c.query(
            `SELECT t.tableowner, r.rolsuper, r.rolbypassrls FROM pg_tables t JOIN pg_roles r ON r.rolname = t.tableowner
            WHERE t.schemaname = 'public' AND t.tablename = 'tasks'`,
          )
        ).rows,
    );
    expect(row).toEqual({ tableowner: owner, rolsuper: false, rolbypassrls: false });
  });

  test("reads, cascading soft delete, restore, a bulk operation and the operator's healthReport work", async () => {
    const read = await gql(
      server!,
      `{ projects(first: 5) { edges { node { id tasks(first: 5, includeDeleted: true) { totalCount } } } } }`,
    );
    const project = read.projects.edges[0].node;
    expect(project.tasks.totalCount).toBeGreaterThan(0);

    const deleted = await gql(
      server!,
      `mutation($id: ID!) { softDelete(id: $id, reason: "least privilege") { cascaded { type count } node { id isDeleted } } }`,
      { id: project.id },
    );
    expect(deleted.softDelete.node.isDeleted).toBe(true);
    expect(deleted.softDelete.cascaded.length).toBeGreaterThan(0);
    const restored = await gql(server!, `mutation($id: ID!) { restore(id: $id) { node { isDeleted } } }`, {
      id: project.id,
    });
    expect(restored.restore.node.isDeleted).toBe(false);

    const queued = await gql(
      server!,
      `mutation($p: ID!) { bulkSoftDelete(filter: { type: Task, projectId: $p }, reason: "bulk") { id total } }`,
      { p: project.id },
    );
    let status = "";
    for (let i = 0; i < 300 && !["SUCCEEDED", "FAILED", "CANCELLED"].includes(status); i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (
        await gql(server!, `query($id: ID!) { bulkOperation(id: $id) { status } }`, { id: queued.bulkSoftDelete.id })
      ).bulkOperation.status;
    }
    expect(status).toBe("SUCCEEDED");
    const live = await gql(server!, `query($p: ID!) { tasks(projectId: $p) { totalCount } }`, { p: project.id });
    expect(live.tasks.totalCount).toBe(0);

    // The operator's report: table statistics over every organization, the path that is the owner's.
    const health = await gql(server!, `{ healthReport { scope tables { table deletedRows { count } } } }`);
    expect(health.healthReport.scope).toBe("DATABASE");
    expect(
      health.healthReport.tables.find((t: { table: string }) => t.table === "tasks").deletedRows.count,
    ).toBeGreaterThan(0);

    const integrity = await gql(server!, `{ auditIntegrity { ok entries } }`);
    expect(integrity.auditIntegrity).toMatchObject({ ok: true });
    expect(integrity.auditIntegrity.entries).toBeGreaterThan(0);
  });

  test("the server's connections: requests as the API login, the owner's only from its own small pool", async () => {
    const rows = await as(
      adminUrl,
      async (c) =>
        (
          await c.query<{ usename: string; application_name: string }>(
            `SELECT usename, application_name FROM pg_stat_activity WHERE datname = $1`,
            [dbName],
          )
        ).rows,
    );
    expect(rows.some((r) => r.usename === api)).toBe(true);
    for (const r of rows.filter((r) => r.usename === owner))
      expect(r.application_name).toBe("softdelete-graphql owner");
  });

  test("SQL on the API login's own connection cannot get past row-level security or touch the audit trail", async () => {
    await as(apiUrl, async (c) => {
      const count = async () => Number((await c.query(`SELECT count(*) AS n FROM tasks`)).rows[0].n);
      expect(await count()).toBe(0); // no organization set: nothing
      expect(await outcome(c, "RESET ROLE")).toBe("ok");
      expect(await count()).toBe(0); // still itself: no role to fall back to
      expect(await outcome(c, "SET ROLE softdelete_maintenance")).toBe("42501");
      expect(await outcome(c, `SET ROLE "${owner}"`)).toBe("42501");
      expect(await outcome(c, "ALTER TABLE audit_log DISABLE TRIGGER USER")).toBe("42501");
      expect(await outcome(c, "ALTER TABLE tasks NO FORCE ROW LEVEL SECURITY")).toBe("42501");
      expect(await outcome(c, "UPDATE audit_log SET reason = 'x'")).toBe("42501");
      expect(await outcome(c, "DELETE FROM audit_log")).toBe("42501");
      expect(await outcome(c, "UPDATE audit_chain_heads SET hash = NULL")).toBe("42501");
      // One organization at a time, as the policies say.
      const { rows: orgs } = await c.query(`SELECT id FROM organizations ORDER BY slug`);
      expect(orgs.length).toBe(2);
      await c.query(`SELECT set_config('app.organization_id', $1, false)`, [orgs[0].id]);
      const { rows } = await c.query(`SELECT DISTINCT organization_id FROM tasks`);
      expect(rows).toEqual([{ organization_id: orgs[0].id }]);
    });
  });

  test("npm run purge and npm run audit:verify take the owner's login for every organization", async () => {
    const env = { DATABASE_URL: apiUrl, DATABASE_OWNER_URL: ownerUrl };
    const purge = await exitOf("scripts/purge.ts", env, ["--dry-run"]);
    expect(purge.code, purge.stderr).toBe(0);
    const verify = await exitOf("scripts/audit-verify.ts", env);
    expect(verify.code, verify.stderr).toBe(0);
    // Without it, the API login may not take the maintenance path: a clear failure, not a silent empty result.
    const alone = await exitOf("scripts/audit-verify.ts", { DATABASE_URL: apiUrl });
    expect(alone.code).not.toBe(0);
  });

  test("start-up refuses a request login that could bypass the policies or cannot act as softdelete_app, and an unprotected tenant table", async () => {
    const owning = await exitOf(SERVER_MAIN, { DATABASE_URL: ownerUrl, DATABASE_OWNER_URL: ownerUrl });
    expect(owning.code).toBe(1);
    expect(owning.stderr.trim().split("\n")).toEqual([expect.stringContaining("owns the tables")]);
    expect(owning.stderr).toContain(owner);
    const superuser = await exitOf(SERVER_MAIN, {
      DATABASE_URL: withDatabase(adminUrl, dbName),
      DATABASE_OWNER_URL: ownerUrl,
    });
    expect(superuser.code).toBe(1);
    expect(superuser.stderr).toContain("is a superuser");
    const outsider = await exitOf(SERVER_MAIN, {
      DATABASE_URL: withUser(withDatabase(adminUrl, dbName), stranger),
      DATABASE_OWNER_URL: ownerUrl,
    });
    expect(outsider.code).toBe(1);
    expect(outsider.stderr).toContain(`GRANT softdelete_app TO ${stranger}`);
    // A tenant table without its protection (as if its migration forgot softdelete_protect_tenant_table).
    await as(ownerUrl, (c) => c.query(`ALTER TABLE comments NO FORCE ROW LEVEL SECURITY`));
    try {
      const unprotected = await exitOf(SERVER_MAIN, { DATABASE_URL: apiUrl, DATABASE_OWNER_URL: ownerUrl });
      expect(unprotected.code).toBe(1);
      expect(unprotected.stderr.trim().split("\n")).toEqual([
        expect.stringContaining("row-level security does not protect comments"),
      ]);
    } finally {
      await as(ownerUrl, (c) => c.query(`ALTER TABLE comments FORCE ROW LEVEL SECURITY`));
    }
  });

  test("one login, the owner without superuser: it works, warns, and its own unscoped SQL sees no tenant row", async () => {
    const single = await startServer({ DATABASE_URL: ownerUrl, LOG_LEVEL: "warn" });
    try {
      const data = await gql(single, `{ projects { totalCount } }`);
      expect(data.projects.totalCount).toBeGreaterThan(0);
      const warning = single
        .output()
        .stdout.split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { msg: string; role?: string })
        .find((l) => l.msg.includes("can get past row-level security"));
      expect(warning?.role).toBe(owner);
    } finally {
      await stopServer(single);
    }
    await as(ownerUrl, async (c) => {
      // FORCE ROW LEVEL SECURITY and no policy for the owner: a path someone forgot to scope fails closed.
      expect(Number((await c.query(`SELECT count(*) AS n FROM tasks`)).rows[0].n)).toBe(0);
      expect(Number((await c.query(`SELECT count(*) AS n FROM organizations`)).rows[0].n)).toBe(2);
    });
  });
});
