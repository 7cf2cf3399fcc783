/**
 * Audit entry ids and auditLog cursors are per organization (issue 11, item 10): they number an organization's
 * entries by its own chain, so a tenant's ids and cursors say nothing of how much other tenants write (the row id
 * they used to show is one sequence for every organization), and a cursor of another organization, or a made-up
 * one, is BAD_USER_INPUT on `after` over HTTP (400), never an internal error.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { toAuditEntryId } from "../../src/graphql/ids.js";
import { startTestApi, type TestApi } from "../support/api.js";
import { query } from "../support/db.js";
import { codeOf, must } from "../support/graph.js";

const LOG = `query($first: Int!, $after: String) {
  auditLog(first: $first, after: $after) { totalCount edges { cursor node { id } } pageInfo { endCursor hasNextPage } }
}`;
const HEAD = `{ auditIntegrity { headPosition } }`;
const create = (slug: string) => `mutation { createProject(input: { slug: "${slug}", name: "Audit ids" }) { id } }`;

let api: TestApi;
let acme: string;
let demoOrg: string;
let acmeOrg: string;
beforeAll(async () => {
  api = await startTestApi({ runner: false });
  acme = await api.auth("ADMIN", "acme");
  const orgs = await query<{ slug: string; id: string }>(api.db.db, `SELECT slug, id::text FROM organizations`);
  demoOrg = orgs.find((o) => o.slug === "demo")!.id;
  acmeOrg = orgs.find((o) => o.slug === "acme")!.id;
});
afterAll(() => api?.close());

describe("audit entry ids", () => {
  test("number a tenant's entries consecutively, whatever another tenant writes between them", async () => {
    await must(api, create("audit-ids-1"));
    for (let i = 0; i < 5; i++) await must(api, create(`audit-ids-acme-${i}`), undefined, acme);
    await must(api, create("audit-ids-2"));

    const head = (await must(api, HEAD)).auditIntegrity.headPosition as number;
    const [newer, older] = (await must(api, LOG, { first: 2 })).auditLog.edges;
    expect([newer.node.id, older.node.id]).toEqual([toAuditEntryId(demoOrg, head), toAuditEntryId(demoOrg, head - 1)]);
    // The shared row ids of the same two entries would have shown acme's five writes in between.
    const rowIds = await query<{ id: string }>(
      api.db.db,
      `SELECT id::text FROM audit_log WHERE organization_id = '${demoOrg}' ORDER BY seq DESC LIMIT 2`,
    );
    expect(Number(rowIds[0]!.id) - Number(rowIds[1]!.id)).toBeGreaterThanOrEqual(6);
    // Nothing in the id or the cursor is the shared row id.
    for (const v of [newer.node.id, newer.cursor])
      expect(Buffer.from(v, "base64url").toString()).not.toMatch(new RegExp(`:${rowIds[0]!.id}$`));

    const acmeHead = (await must(api, HEAD, undefined, acme)).auditIntegrity.headPosition as number;
    const acmeIds = (await must(api, LOG, { first: 5 }, acme)).auditLog.edges.map((e: any) => e.node.id);
    expect(acmeIds).toEqual([0, 1, 2, 3, 4].map((i) => toAuditEntryId(acmeOrg, acmeHead - i)));
  });

  test("cursors page through every entry once, newest first", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let total = 0;
    for (;;) {
      const page: any = (await must(api, LOG, { first: 7, after })).auditLog;
      total = page.totalCount;
      seen.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    const head = (await must(api, HEAD)).auditIntegrity.headPosition as number;
    expect(seen).toHaveLength(total);
    expect(seen).toEqual(Array.from({ length: head }, (_, i) => toAuditEntryId(demoOrg, head - i)));
  });
});

describe("a cursor of another organization or a made-up one", () => {
  const b64 = (s: string) => Buffer.from(s).toString("base64url");

  test("another organization's cursor is BAD_USER_INPUT on after (400), answered as a malformed one is", async () => {
    const acmeCursor = (await must(api, LOG, { first: 1 }, acme)).auditLog.pageInfo.endCursor as string;
    const foreign = await api.http(LOG, { first: 1, after: acmeCursor });
    const malformed = await api.http(LOG, { first: 1, after: "nope" });
    for (const r of [foreign, malformed]) {
      expect(r.status).toBe(400);
      expect(r.body.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
    }
    expect(foreign.body.errors![0]!.message).toBe(malformed.body.errors![0]!.message);
    // It still pages acme's own log.
    expect((await api.http(LOG, { first: 1, after: acmeCursor }, acme)).status).toBe(200);
  });

  test.each([
    ["not base64 of a cursor", "nope"],
    ["empty", ""],
    ["no organization", b64("audit:5")],
    ["position 0", b64(`audit:${"0".repeat(8)}-0000-0000-0000-000000000000:0`)],
    ["a negative position", () => b64(`audit:${demoOrg}:-1`)],
    ["a position beyond 2^53", () => b64(`audit:${demoOrg}:99999999999999999999`)],
    ["a fraction", () => b64(`audit:${demoOrg}:1.5`)],
    ["an entry id", () => toAuditEntryId(demoOrg, 1)],
    ["a users cursor", b64(JSON.stringify(["2026-01-01 00:00:00+00", "00000000-0000-0000-0000-000000000000"]))],
  ])("%s is BAD_USER_INPUT on after (400)", async (_name, value) => {
    const after = typeof value === "function" ? value() : value;
    const r = await api.http(LOG, { first: 1, after });
    expect(r.status).toBe(400);
    expect(r.body.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
  });

  test("an audit entry id is no node id and no entity id: BAD_USER_INPUT", async () => {
    const id = toAuditEntryId(demoOrg, 1);
    expect(codeOf(await api.exec(`query($id: ID!) { node(id: $id) { id } }`, { id }))).toBe("BAD_USER_INPUT");
    expect(codeOf(await api.exec(`query($id: ID!) { auditLog(entityId: $id) { totalCount } }`, { id }))).toBe(
      "BAD_USER_INPUT",
    );
  });
});
