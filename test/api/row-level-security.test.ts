/**
 * Row-level security from above: every read of a request acts for the caller's organization, through the read
 * compiler and through the resolvers' DataLoaders alike. The probe: an extra policy (added here, as the owner)
 * hides one demo project and one demo task from the application role only, while the application's own filters
 * would show them. A server with ROW_LEVEL_SECURITY=false shows them, so the probe can fail. And the settings
 * never stay on a pooled connection.
 */
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inlineParameters } from "../../src/db/scoped-queries.js";
import { createRegistry } from "../../src/domain/model.js";
import { SoftDeleteEngine } from "../../src/engine/engine.js";
import { createApp, type App } from "../../src/server/app.js";
import { startResolversApp, startTestApi, TEST_LIMITS, TEST_SECRET, type TestApi } from "../support/api.js";
import { query } from "../support/db.js";

const HIDDEN = "Hidden by RLS";
// Demo organizations hold a few projects of at most a dozen tasks each: these pages read them all.
const READ = `{ projects(first: 20) { totalCount edges { node { id name
  tasks(first: 30) { totalCount edges { node { title project { name } } } } } } } }`;

interface Listing {
  projects: {
    totalCount: number;
    edges: {
      node: { id: string; name: string; tasks: { totalCount: number; edges: { node: { title: string } }[] } };
    }[];
  };
}

/** The data of an answer that must have no errors. */
function must<T>(r: { data?: unknown; errors?: readonly unknown[] | undefined }): T {
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data as T;
}

const names = (d: Listing) => d.projects.edges.map((e) => e.node.name);
const titles = (d: Listing) => d.projects.edges.flatMap((e) => e.node.tasks.edges.map((t) => t.node.title));

describe("row-level security from above", () => {
  let api: TestApi;
  let resolvers: App;
  let unprotected: App;
  let hiddenProjectId: string;
  let demoProjects: number;

  beforeAll(async () => {
    api = await startTestApi({ runner: false });
    resolvers = await startResolversApp(api);
    unprotected = await createApp({
      handle: api.db,
      engine: new SoftDeleteEngine(api.db.db, createRegistry(), { rowLevelSecurity: false }),
      bulk: api.services.bulk,
      maintenance: api.services.maintenance,
      secret: TEST_SECRET,
      log: pino({ level: "silent" }),
      limits: TEST_LIMITS,
    });
    const db = api.db.db;
    // As the owner, outside any scope. Restrictive: it narrows what the tenant policy admits, for the app role only.
    await query(
      db,
      `CREATE POLICY rls_probe ON projects AS RESTRICTIVE FOR SELECT TO softdelete_app USING (name <> '${HIDDEN}')`,
    );
    await query(
      db,
      `CREATE POLICY rls_probe ON tasks AS RESTRICTIVE FOR SELECT TO softdelete_app USING (title <> '${HIDDEN}')`,
    );
    const demo = `(SELECT id FROM organizations WHERE slug = 'demo')`;
    const [p] = await query<{ id: string }>(
      db,
      `UPDATE projects SET name = '${HIDDEN}' WHERE id = (SELECT min(id::text)::uuid FROM projects
         WHERE organization_id = ${demo} AND deleted_at IS NULL) RETURNING id::text`,
    );
    hiddenProjectId = p!.id;
    await query(
      db,
      `UPDATE tasks SET title = '${HIDDEN}' WHERE id = (SELECT min(id::text)::uuid FROM tasks
         WHERE organization_id = ${demo} AND deleted_at IS NULL AND project_id <> '${hiddenProjectId}')`,
    );
    const [n] = await query<{ n: number }>(
      db,
      `SELECT count(*)::int AS n FROM projects WHERE organization_id = ${demo} AND deleted_at IS NULL`,
    );
    demoProjects = n!.n;
  });
  afterAll(async () => {
    await unprotected?.close();
    await resolvers?.close();
    await api?.close();
  });

  it("the probe: without row-level security the hidden rows are there", async () => {
    const data = must<Listing>(await unprotected.execute({ query: READ }, await api.auth()));
    expect(names(data)).toContain(HIDDEN);
    expect(titles(data)).toContain(HIDDEN);
    expect(data.projects.totalCount).toBe(demoProjects);
  });

  it("the read compiler's statements act for the caller (over HTTP)", async () => {
    await api.http<Listing>(READ); // the token's organization is looked up (and cached) once
    const before = api.db.statements.length;
    const { body } = await api.http<Listing>(READ);
    const data = must<Listing>(body);
    // One statement: the compiler answered, not the resolvers.
    expect(api.db.statements.slice(before)).toHaveLength(1);
    expect(names(data)).not.toContain(HIDDEN);
    expect(titles(data)).not.toContain(HIDDEN);
    expect(data.projects.totalCount).toBe(demoProjects - 1);
  });

  it("the resolvers' DataLoaders act for the caller, and so do single fetches", async () => {
    const data = must<Listing>(await resolvers.execute({ query: READ }, await api.auth()));
    expect(names(data)).not.toContain(HIDDEN);
    expect(titles(data)).not.toContain(HIDDEN);
    expect(data.projects.totalCount).toBe(demoProjects - 1);
    const visible = data.projects.edges[0]!.node.id;
    const single = `query($id: ID!) { node(id: $id) { id } }`;
    const { projects } = must<Listing>(await unprotected.execute({ query: READ }, await api.auth()));
    const hidden = projects.edges.find((e) => e.node.name === HIDDEN)!.node.id;
    for (const app of [resolvers, api.app]) {
      expect(
        must<{ node: unknown }>(await app.execute({ query: single, variables: { id: hidden } }, await api.auth())).node,
      ).toBeNull();
      expect(
        must<{ node: unknown }>(await app.execute({ query: single, variables: { id: visible } }, await api.auth()))
          .node,
      ).not.toBeNull();
    }
  });

  it("a write acts for the caller: updating the hidden project finds no row", async () => {
    const { projects } = must<Listing>(await unprotected.execute({ query: READ }, await api.auth()));
    const hidden = projects.edges.find((e) => e.node.name === HIDDEN)!.node.id;
    const r = await api.exec(`mutation($id: ID!) { updateProject(id: $id, input: { name: "x" }) { id } }`, {
      id: hidden,
    });
    expect(r.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("no setting stays on a pooled connection", async () => {
    for (let i = 0; i < 3; i++) await api.http(READ);
    // As many statements at once as the pool has connections, outside any scope.
    const seen = await Promise.all(
      Array.from({ length: 12 }, () =>
        query<{ role: string; org: string }>(
          api.db.db,
          `SELECT current_user::text AS role, coalesce(current_setting('app.organization_id', true), '') AS org`,
        ),
      ),
    );
    for (const [r] of seen) expect(r).toEqual({ role: expect.not.stringMatching(/^softdelete_/), org: "" });
  });
});

describe("inlineParameters", () => {
  it("inlines each $n as the literal node-postgres would send, leaving quoted text alone", () => {
    const values = ["it's", null, 7, [1, 2], Buffer.from([1, 255]), true, "a\\b", 3, 4, 5, 6];
    expect(inlineParameters(`SELECT $1, '$2', "$3", $2, $3 + $10, $4, $5, $6, $7, $11 -- x`, values)).toBe(
      `SELECT 'it''s', '$2', "$3", NULL, '7' + '5', '{"1","2"}', '\\x01ff', 'true',  E'a\\\\b', '6' -- x`,
    );
  });

  it("refuses a parameter it was not given", () => {
    expect(() => inlineParameters(`SELECT $2`, [1])).toThrow(RangeError);
  });
});
