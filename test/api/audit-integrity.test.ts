/**
 * The audit trail's integrity as clients and operators see it: `auditIntegrity` (ADMIN) for the caller's
 * organization, and `npm run audit:verify` (through its `main`) for every organization or one, on both
 * databases. A row changed behind the application's back is named by both.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main, type Output } from "../../scripts/audit-verify.js";
import { connect } from "../../src/db/connect.js";
import type { DatabaseHandle } from "../../src/db/database.js";
import { migrate } from "../../src/db/migrate.js";
import { seedDemo } from "../../src/seed/demo.js";
import { createRegistry } from "../../src/domain/model.js";
import { SoftDeleteEngine } from "../../src/engine/engine.js";
import { encodeAuditCursor } from "../../src/engine/audit-log.js";
import { toAuditEntryId } from "../../src/graphql/ids.js";
import { startTestApi, type TestApi } from "../support/api.js";
import { DB_KIND, openTestDatabase, query, type TestDatabase } from "../support/db.js";
import { codeOf, must } from "../support/graph.js";

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

function capture() {
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const out: Output = { stdout: (l) => void lines.stdout.push(l), stderr: (l) => void lines.stderr.push(l) };
  return { out, lines };
}

describe(`npm run audit:verify on ${DB_KIND}`, () => {
  let db: TestDatabase | undefined;
  let dir: string | undefined;
  let env: NodeJS.ProcessEnv;
  const open = async (): Promise<DatabaseHandle> => (db ? db : connect({ pgliteDir: dir! }));
  const done = async (h: DatabaseHandle) => void (db ? undefined : await h.close());

  beforeAll(async () => {
    if (DB_KIND === "postgres") {
      db = await openTestDatabase({ seeded: true });
      env = { DATABASE_URL: db.url! };
    } else {
      // A directory: the CLI opens the database itself, one process at a time.
      dir = mkdtempSync(join(tmpdir(), "sdg-audit-verify-"));
      const h = await connect({ pgliteDir: dir });
      await migrate(h);
      await seedDemo(h.db, new SoftDeleteEngine(h.db, createRegistry()));
      await h.close();
      env = { PGLITE_DIR: dir };
    }
  });
  afterAll(async () => {
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("usage errors exit 2", async () => {
    const bogus = capture();
    expect(await main(["--bogus"], env, bogus.out)).toBe(2);
    expect(bogus.lines.stderr[0]).toMatch(/usage: npm run audit:verify/);
    const unknown = capture();
    expect(await main(["--org", "nope"], env, unknown.out)).toBe(2);
    expect(unknown.lines.stderr[0]).toContain(`--org must be the slug of an organization, but got "nope"`);
  });

  it("exits 0 with one line per organization, then 1 naming the first broken row", async () => {
    const ok = capture();
    expect(await main([], env, ok.out)).toBe(0);
    expect(ok.lines.stdout).toEqual([
      expect.stringMatching(/^acme: ok, \d+ row\(s\), head \d+ [0-9a-f]{64}$/),
      expect.stringMatching(/^demo: ok, \d+ row\(s\), head \d+ [0-9a-f]{64}$/),
    ]);

    const h = await open();
    const { rowId, entryId } = await tamper(
      h.db,
      `organization_id = (SELECT id FROM organizations WHERE slug = 'acme')`,
    );
    await done(h);

    const broken = capture();
    expect(await main([], env, broken.out)).toBe(1);
    expect(broken.lines.stderr).toEqual([
      `acme: BROKEN at position 1 (entry ${entryId}, audit_log.id ${rowId}): hash mismatch: the row or an earlier one was changed`,
    ]);
    expect(broken.lines.stdout).toEqual([expect.stringMatching(/^demo: ok/)]);
    const demoOnly = capture();
    expect(await main(["--org", "demo"], env, demoOnly.out)).toBe(0);
    expect(demoOnly.lines.stdout).toHaveLength(1);
  });
});
