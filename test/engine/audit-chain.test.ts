/**
 * The audit trail's hash chains: intact after every kind of write (erasure included), and broken, at the
 * right row, by a change, a removal or an insertion made behind the application's back (as the database
 * owner, with the triggers disabled). Concurrent writers on separate connections never fork a chain.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../src/db/connect.js";
import type { DatabaseHandle } from "../../src/db/database.js";
import { verifyChain, verifyChains } from "../../src/engine/audit-chain.js";
import { Maintenance } from "../../src/engine/maintenance.js";
import { PERSONAL_DATA } from "../../src/domain/personal-data.js";
import { onPostgres, openTestDatabase, query, type TestDatabase } from "../support/db.js";
import { makeEngine, newTenant, seedTree } from "../support/fixtures.js";

/** Runs `statements` as the owner with the audit triggers off, as someone bypassing the application would. */
async function behindTheBack(db: TestDatabase, statements: string) {
  await db.db.transaction(async (tx) => {
    await query(tx, `ALTER TABLE audit_log DISABLE TRIGGER USER`);
    for (const statement of statements.split(";")) if (statement.trim()) await query(tx, statement);
    await query(tx, `ALTER TABLE audit_log ENABLE TRIGGER USER`);
  });
}

describe("audit hash chain", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase({ seeded: true });
  });
  afterAll(async () => db?.close());

  it("the seeded organizations' chains verify, numbered from 1 without gaps", async () => {
    const reports = await verifyChains(db.db);
    expect(reports.map((r) => r.slug)).toEqual(expect.arrayContaining(["acme", "demo"]));
    for (const r of reports) expect(r, JSON.stringify(r)).toMatchObject({ ok: true, firstBreak: null });
    const demo = reports.find((r) => r.slug === "demo")!;
    expect(demo.rows).toBeGreaterThan(10);
    expect(demo.headSeq).toBe(demo.rows);
    expect(demo.headHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("every write kind keeps the chain, and erasure changes no audit row", async () => {
    const engine = makeEngine(db.db);
    const ctx = await newTenant(db.db);
    const tree = await seedTree(engine, ctx);
    await engine.update("Task", ctx, tree.task.id, { title: "renamed" });
    const del = await engine.softDelete("Project", ctx, tree.project.id, { reason: "r" });
    await engine.restore("Project", ctx, tree.project.id);
    await engine.softDelete("Comment", ctx, tree.reply.id);
    await engine.hardDelete("Comment", ctx, tree.reply.id);
    expect(del.cascaded.length).toBeGreaterThan(0);
    const before = await query<{ id: string; hash: string }>(
      db.db,
      `SELECT id::text, encode(hash, 'hex') AS hash FROM audit_log WHERE organization_id = '${ctx.organizationId}' ORDER BY seq`,
    );
    const maintenance = new Maintenance(engine, db, { personalData: PERSONAL_DATA });
    await maintenance.eraseUser(ctx, tree.user.id, "asked");
    const after = await query<{ id: string; hash: string }>(
      db.db,
      `SELECT id::text, encode(hash, 'hex') AS hash FROM audit_log WHERE organization_id = '${ctx.organizationId}' ORDER BY seq`,
    );
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.length).toBeGreaterThan(before.length);
    const report = await verifyChain(db.db, ctx.organizationId);
    expect(report).toMatchObject({ ok: true, rows: after.length, headSeq: after.length });
  });

  it("a row may not choose its own position or hash", async () => {
    const ctx = await newTenant(db.db);
    await seedTree(makeEngine(db.db), ctx);
    const [actor] = await query<{ id: string }>(
      db.db,
      `SELECT id FROM actors WHERE organization_id = '${ctx.organizationId}'`,
    );
    await query(
      db.db,
      `INSERT INTO audit_log (organization_id, actor_id, action, entity_type, entity_id, operation_id, seq, hash)
       VALUES ('${ctx.organizationId}', '${actor!.id}', 'UPDATE', 'Task', gen_random_uuid(), gen_random_uuid(), 1, '\\x00')`,
    );
    expect(await verifyChain(db.db, ctx.organizationId)).toMatchObject({ ok: true, rows: 7, headSeq: 7 });
  });

  /** A fresh organization with 6 audit rows (seq 1..6), and their ids by position. */
  async function chained() {
    const ctx = await newTenant(db.db);
    await seedTree(makeEngine(db.db), ctx);
    const ids = await query<{ id: string; seq: string }>(
      db.db,
      `SELECT id::text, seq::text FROM audit_log WHERE organization_id = '${ctx.organizationId}' ORDER BY seq`,
    );
    expect(ids.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5, 6]);
    return { org: ctx.organizationId, id: (seq: number) => Number(ids[seq - 1]!.id) };
  }

  it("detects a changed row, naming it", async () => {
    const { org, id } = await chained();
    await behindTheBack(db, `UPDATE audit_log SET reason = 'nothing to see' WHERE id = ${id(3)}`);
    expect(await verifyChain(db.db, org)).toMatchObject({
      ok: false,
      firstBreak: { id: id(3), entrySeq: 3, seq: 3, problem: expect.stringContaining("hash mismatch") },
    });
  });

  it("detects a changed row even when its hash was recomputed the way the trigger does", async () => {
    const { org, id } = await chained();
    await behindTheBack(
      db,
      `UPDATE audit_log SET action = 'HARD_DELETE' WHERE id = ${id(4)};
       UPDATE audit_log a SET hash = sha256(p.hash || audit_log_content(a, a.seq))
       FROM audit_log p WHERE a.id = ${id(4)} AND p.organization_id = a.organization_id AND p.seq = 3`,
    );
    // Row 4 now matches its predecessor, but row 5 was chained to row 4's old hash.
    expect(await verifyChain(db.db, org)).toMatchObject({ ok: false, firstBreak: { id: id(5), seq: 5 } });
  });

  it("detects a deleted row in the middle and at the end", async () => {
    const middle = await chained();
    await behindTheBack(db, `DELETE FROM audit_log WHERE id = ${middle.id(2)}`);
    expect(await verifyChain(db.db, middle.org)).toMatchObject({
      ok: false,
      firstBreak: { id: middle.id(3), entrySeq: 3, seq: 2, problem: expect.stringContaining("missing") },
    });
    const end = await chained();
    await behindTheBack(db, `DELETE FROM audit_log WHERE id = ${end.id(6)}`);
    expect(await verifyChain(db.db, end.org)).toMatchObject({
      ok: false,
      rows: 5,
      firstBreak: { id: null, entrySeq: null, seq: 6, problem: expect.stringContaining("missing") },
    });
  });

  it("detects an inserted row, at the end or renumbering the rows after it", async () => {
    for (const seq of [7, 3]) {
      const { org, id } = await chained();
      await behindTheBack(
        db,
        `UPDATE audit_log SET seq = -(seq + 1) WHERE organization_id = '${org}' AND seq >= ${seq};
         UPDATE audit_log SET seq = -seq WHERE organization_id = '${org}' AND seq < 0;
         INSERT INTO audit_log (organization_id, actor_id, action, entity_type, entity_id, operation_id, seq, hash)
         SELECT organization_id, actor_id, 'HARD_DELETE', entity_type, entity_id, operation_id, ${seq}, sha256('x'::bytea)
         FROM audit_log WHERE id = ${id(1)}`,
      );
      const [inserted] = await query<{ id: string }>(
        db.db,
        `SELECT max(id)::text AS id FROM audit_log WHERE organization_id = '${org}'`,
      );
      expect(await verifyChain(db.db, org), `at ${seq}`).toMatchObject({
        ok: false,
        firstBreak: { id: Number(inserted!.id), entrySeq: seq, seq },
      });
    }
  });

  it("an organization's chain ignores other organizations' rows", async () => {
    const { org, id } = await chained();
    const other = await chained();
    await behindTheBack(db, `UPDATE audit_log SET reason = 'x' WHERE id = ${id(1)}`);
    expect((await verifyChain(db.db, org)).ok).toBe(false);
    expect((await verifyChain(db.db, other.org)).ok).toBe(true);
  });
});

describe.skipIf(!onPostgres)(
  "audit hash chain under concurrent writers (PostgreSQL only: PGlite is one connection)",
  () => {
    let db: TestDatabase;
    const handles: DatabaseHandle[] = [];

    beforeAll(async () => {
      db = await openTestDatabase();
      for (let i = 0; i < 4; i++) handles.push(await connect({ url: db.url!, poolMax: 4 }));
    });
    afterAll(async () => {
      for (const h of handles) await h.close();
      await db?.close();
    });

    it("writers on separate connections never fork or break a chain", async () => {
      const ctx = await newTenant(db.db);
      const other = await newTenant(db.db);
      const engines = handles.map((h) => makeEngine(h.db));
      const project = await engines[0]!.create("Project", ctx, { slug: `p-${randomUUID()}`, name: "P" });
      await Promise.all(
        engines.flatMap((engine, i) =>
          Array.from({ length: 4 }, async (_, j) => {
            for (let k = 0; k < 10; k++) {
              const target = (k + j) % 2 ? ctx : other;
              if (target === other) await engine.create("User", other, { email: `${i}-${j}-${k}@x.test`, name: "U" });
              else {
                const task = await engine.create("Task", ctx, { projectId: project.id, title: `${i}-${j}-${k}` });
                await engine.softDelete("Task", ctx, task.id);
              }
            }
          }),
        ),
      );
      const mine = await verifyChain(db.db, ctx.organizationId);
      const theirs = await verifyChain(db.db, other.organizationId);
      expect(mine).toMatchObject({ ok: true, rows: 1 + 80 * 2 });
      expect(theirs).toMatchObject({ ok: true, rows: 80 });
    });
  },
);
