/**
 * The audit trail's integrity as clients and operators see it: `auditIntegrity` (ADMIN) for the caller's
 * organization, and `npm run audit:verify` (through its `main`) for every organization or one, on both
 * databases. A row changed behind the application's back is named by both.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../scripts/audit-verify.js";
import type { DatabaseHandle } from "../../src/db/database.js";
import { encodeAuditCursor } from "../../src/engine/audit-log.js";
import { toAuditEntryId } from "../../src/graphql/ids.js";
import { startTestApi, type TestApi } from "../support/api.js";
import { DB_KIND, query } from "../support/db.js";
import { codeOf, must } from "../support/graph.js";
import { capture, useScriptDatabase } from "../support/script.js";

const INTEGRITY = `{ auditIntegrity { ok entries headPosition headHash firstBreak { entryId position problem } } }`;

/**
 * Changes one audit row's reason as the owner, with the append-only trigger off; returns its row id and its entry
 * id as the API names it.
 */
async function tamper(
  db: DatabaseHandle["db"],
  where: string,
): Promise<{ rowId: string; entryId: string; org: string }> {
  return db.transaction(async (tx) => {
    await query(tx, `ALTER TABLE audit_log DISABLE TRIGGER USER`);
    const [row] = await query<{ id: string; org: string; seq: string }>(
      tx,
      `UPDATE audit_log SET reason = 'edited' WHERE id = (SELECT min(id) FROM audit_log WHERE ${where})
       RETURNING id::text, organization_id::text AS org, seq::text`,
    );
    await query(tx, `ALTER TABLE audit_log ENABLE TRIGGER USER`);
    return { rowId: row!.id, entryId: toAuditEntryId(row!.org, Number(row!.seq)), org: row!.org };
  });
}

describe("auditIntegrity", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ runner: false });
  });
  afterAll(async () => api?.close());

  it("is ADMIN only", async () => {
    expect(codeOf(await api.exec(INTEGRITY, undefined, await api.auth("EDITOR")))).toBe("FORBIDDEN");
  });

  it("reports an intact chain, then the first row changed behind the application's back", async () => {
    const before = await must(api, INTEGRITY);
    expect(before.auditIntegrity).toMatchObject({ ok: true, firstBreak: null });
    expect(before.auditIntegrity.entries).toBe(before.auditIntegrity.headPosition);
    expect(before.auditIntegrity.headHash).toMatch(/^[0-9a-f]{64}$/);
    // A write moves the head on.
    await must(api, `mutation { createProject(input: { slug: "chained", name: "Chained" }) { id } }`);
    const moved = (await must(api, INTEGRITY)).auditIntegrity;
    expect(moved).toMatchObject({ ok: true, entries: before.auditIntegrity.entries + 1 });
    expect(moved.headHash).not.toBe(before.auditIntegrity.headHash);

    const { entryId, org } = await tamper(
      api.db.db,
      `organization_id = (SELECT id FROM organizations WHERE slug = 'demo')`,
    );
    const after = (await must(api, INTEGRITY)).auditIntegrity;
    expect(after).toMatchObject({ ok: false, firstBreak: { entryId, position: 1 } });
    // The same id auditLog shows for that entry (the oldest: the one before position 2).
    const { auditLog } = await must(
      api,
      `query($after: String) { auditLog(first: 5, after: $after) { edges { node { id } } } }`,
      {
        after: encodeAuditCursor(org, 2),
      },
    );
    expect(auditLog.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([entryId]);
    // Another organization's chain is its own.
    const acme = (await must(api, INTEGRITY, undefined, await api.auth("ADMIN", "acme"))).auditIntegrity;
    expect(acme.ok).toBe(true);
  });
});

describe(`npm run audit:verify on ${DB_KIND}`, () => {
  const database = useScriptDatabase({ seeded: true });

  it("usage errors exit 2", async () => {
    const bogus = capture();
    expect(await main(["--bogus"], database.env, bogus.out)).toBe(2);
    expect(bogus.lines.stderr[0]).toMatch(/usage: npm run audit:verify/);
    const unknown = capture();
    expect(await main(["--org", "nope"], database.env, unknown.out)).toBe(2);
    expect(unknown.lines.stderr[0]).toContain(`--org must be the slug of an organization, but got "nope"`);
  });

  it("exits 0 with one line per organization, then 1 naming the first broken row", async () => {
    const ok = capture();
    expect(await main([], database.env, ok.out)).toBe(0);
    expect(ok.lines.stdout).toEqual([
      expect.stringMatching(/^acme: ok, \d+ row\(s\), head \d+ [0-9a-f]{64}$/),
      expect.stringMatching(/^demo: ok, \d+ row\(s\), head \d+ [0-9a-f]{64}$/),
    ]);

    const h = await database.open();
    const { rowId, entryId } = await tamper(
      h.db,
      `organization_id = (SELECT id FROM organizations WHERE slug = 'acme')`,
    );
    await database.done(h);

    const broken = capture();
    expect(await main([], database.env, broken.out)).toBe(1);
    expect(broken.lines.stderr).toEqual([
      `acme: BROKEN at position 1 (entry ${entryId}, audit_log.id ${rowId}): hash mismatch: the row or an earlier one was changed`,
    ]);
    expect(broken.lines.stdout).toEqual([expect.stringMatching(/^demo: ok/)]);
    const demoOnly = capture();
    expect(await main(["--org", "demo"], database.env, demoOnly.out)).toBe(0);
    expect(demoOnly.lines.stdout).toHaveLength(1);
  });
});
