/**
 * Erasure (the right to erasure), on PGlite and on PostgreSQL: afterwards the person's name and email are gone
 * from every row they wrote and every declared personal-data column, while the audit trail still counts their
 * actions; other people's rows and undeclared columns (enumerations) are never rewritten by coincidence; erasing
 * twice changes nothing; the whole erasure is one transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PERSONAL_DATA } from "../../src/domain/personal-data.js";
import { auditPage } from "../../src/engine/audit-log.js";
import type { OperationContext } from "../../src/engine/context.js";
import type { SoftDeleteEngine } from "../../src/engine/engine.js";
import type { ErasureReport } from "../../src/engine/erasure.js";
import { Maintenance } from "../../src/engine/maintenance.js";
import { openTestDatabase, query, type TestDatabase } from "../support/db.js";
import { makeEngine, newTenant, uid } from "../support/fixtures.js";
import { auditCount } from "../support/retention.js";

const NAME = "Zelda Quixotewright";

/** Rows of every table, in every schema of the database, whose text contains `needle` (any case). */
async function fullTextScan(db: TestDatabase, needle: string): Promise<{ table: string; row: string }[]> {
  const tables = await query<{ schema: string; name: string }>(
    db.db,
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
     WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
  );
  expect(tables.length).toBeGreaterThan(5);
  const hits: { table: string; row: string }[] = [];
  for (const t of tables) {
    const found = await query<{ row: string }>(
      db.db,
      `SELECT x::text AS row FROM "${t.schema}"."${t.name}" AS x WHERE strpos(lower(x::text), lower('${needle.replace(/'/g, "''")}')) > 0`,
    );
    hits.push(...found.map((f) => ({ table: `${t.schema}.${t.name}`, row: f.row })));
  }
  return hits;
}

const steps = (report: ErasureReport) =>
  Object.fromEntries(report.steps.map((s) => [`${s.table} ${s.action}`, s.rows]));

describe("eraseUser", () => {
  let db: TestDatabase;
  let engine: SoftDeleteEngine;
  let maintenance: Maintenance;

  beforeAll(async () => {
    db = await openTestDatabase();
    engine = makeEngine(db.db);
    maintenance = new Maintenance(engine, db, { personalData: PERSONAL_DATA });
  });

  afterAll(async () => {
    await db?.close();
  });

  it("leaves no trace of the person's name or email in what they wrote, while the audit trail still counts their actions", async () => {
    const admin = await newTenant(db.db, "admin@example.test");
    const email = `zelda.q-${uid()}@erasure.test`;
    const person = await engine.create("User", admin, { email, name: NAME });
    const other = await engine.create("User", admin, { email: `other-${uid()}@example.test`, name: "Other Person" });
    // She acts under her email (her token's subject), and once under her user id.
    const zelda: OperationContext = { ...admin, actor: email };
    const project = await engine.create("Project", zelda, {
      slug: `garden-${uid()}`,
      name: "Garden",
      leadId: person.id,
    });
    const task = await engine.create("Task", zelda, { projectId: project.id, title: "Plant" });
    await engine.update("Task", zelda, task.id, { title: "Plant roses", description: `${NAME}'s garden` });
    const hers = await engine.create("Comment", zelda, {
      taskId: task.id,
      authorId: person.id,
      body: `I, ${NAME}, will water them`,
    });
    const mention = await engine.create("Comment", admin, {
      taskId: task.id,
      authorId: other.id,
      parentId: hers.id,
      body: `Thanks ${NAME.toLowerCase()}! Questions to ${email.toUpperCase()}.`,
    });
    const typo = await engine.create("Comment", zelda, { taskId: task.id, authorId: person.id, body: "typo" });
    await engine.softDelete("Comment", zelda, typo.id, { reason: "duplicate" });
    const review = await engine.create("Task", admin, {
      projectId: project.id,
      title: `Review access for ${email}`,
      description: `Asked by ${NAME}`,
    });
    const assignment = await engine.create("TaskAssignment", zelda, { taskId: review.id, userId: person.id });
    await engine.create("Task", { ...admin, actor: person.id }, { projectId: project.id, title: "Filed by id" });
    // A table added later, outside the engine's declarations: erasure finds it in the catalog.
    await query(
      db.db,
      `CREATE TABLE org_notes (organization_id uuid NOT NULL, created_by text, memo varchar(200), payload jsonb)`,
    );
    await query(
      db.db,
      `INSERT INTO org_notes VALUES ('${admin.organizationId}', '${email}', 'call ${NAME}', '{"to": "${email}", "n": 1}')`,
    );

    const herActors = `actor_id IN (SELECT id FROM actors WHERE user_id = '${person.id}')`;
    const herActions = await auditCount(db.db, herActors);
    expect(herActions).toBeGreaterThanOrEqual(8);
    expect((await fullTextScan(db, NAME)).length).toBeGreaterThan(0);
    expect((await fullTextScan(db, email)).length).toBeGreaterThan(0);

    const report = await maintenance.eraseUser(admin, person.id, "GDPR request #42");

    // What remains is other people's text only (their comment, their task, an undeclared table's memo).
    const left = [...(await fullTextScan(db, NAME)), ...(await fullTextScan(db, email))];
    expect([...new Set(left.map((h) => h.table))].sort()).toEqual([
      "public.comments",
      "public.org_notes",
      "public.tasks",
    ]);
    for (const hit of left) expect(hit.row).not.toContain(person.id);
    // The audit trail: untouched, every action still counted, the actors blanked.
    expect(await auditCount(db.db, herActors)).toBe(herActions);
    const actors = await query<{ id: string; subject: string; erased_at: unknown }>(
      db.db,
      `SELECT id, subject, erased_at FROM actors WHERE user_id = '${person.id}'`,
    );
    expect(actors.length).toBe(2);
    for (const a of actors) expect(a).toMatchObject({ subject: `erased:${a.id}`, erased_at: expect.anything() });
    const page = await auditPage(db.db, admin, { actor: `erased:${actors[0]!.id}` }, 100, undefined);
    expect(page.entries.length).toBeGreaterThan(0);
    expect(page.entries.every((e) => e.actor === null)).toBe(true);

    expect(report).toMatchObject({ id: person.id, type: "User", alreadyErased: false });
    expect(steps(report)).toMatchObject({
      "task_assignments HARD_DELETED": 1,
      "users SOFT_DELETED": 1,
      "projects CASCADED": 1,
      "users BLANKED": 1,
      "comments CONTENT_REPLACED": 2,
      "tasks PSEUDONYMISED": 2,
      "projects PSEUDONYMISED": 1,
      "comments PSEUDONYMISED": 2,
      "tasks TEXT_SCRUBBED": 1,
      "actors BLANKED": 2,
      "audit_log AUDITED": 1,
    });

    // The row stays, blanked and deleted: references and the audit trail still link to it.
    const user = (await engine.find("User", admin, person.id, "ALL"))!;
    expect(user).toMatchObject({
      name: "Erased user",
      email: `erased-${person.id}@invalid`,
      deletionReason: "GDPR request #42",
    });
    expect(user.deletedAt).toBeInstanceOf(Date);
    expect(await engine.find("TaskAssignment", admin, assignment.id, "ALL")).toBeUndefined();
    expect((await engine.find("Project", admin, project.id))?.leadId).toBeNull();
    expect(await engine.find("Comment", admin, hers.id)).toMatchObject({ body: "[erased]", authorId: person.id });
    // Other people's rows are theirs: never rewritten because their text holds the name.
    expect(await engine.find("Comment", admin, mention.id)).toMatchObject({
      body: `Thanks ${NAME.toLowerCase()}! Questions to ${email.toUpperCase()}.`,
      parentId: hers.id,
    });
    expect(await engine.find("Task", admin, review.id)).toMatchObject({
      title: `Review access for ${email}`,
      description: `Asked by ${NAME}`,
    });
    expect(await engine.find("Task", admin, task.id)).toMatchObject({
      description: "[erased]'s garden",
      createdBy: expect.stringMatching(/^erased:/),
      updatedBy: expect.stringMatching(/^erased:/),
    });
    const [entry] = await query<{ reason: string; changed_fields: string[]; actor_id: string }>(
      db.db,
      `SELECT COALESCE(a.reason, (SELECT f.reason FROM audit_log f WHERE f.operation_id = a.operation_id AND f.reason IS NOT NULL ORDER BY f.id LIMIT 1)) AS reason, changed_fields, actor_id FROM audit_log a WHERE action = 'ERASE' AND entity_id = '${person.id}'`,
    );
    expect(entry).toMatchObject({ reason: "GDPR request #42", changed_fields: ["name", "email"] });

    // An undeclared table: its subject column is pseudonymised (an exact subject), its other columns are not
    // personal-data declarations and stay.
    expect(await query(db.db, `SELECT created_by, memo, payload FROM org_notes`)).toEqual([
      { created_by: expect.stringMatching(/^erased:/), memo: `call ${NAME}`, payload: { to: email, n: 1 } },
    ]);
    expect(steps(report)).toMatchObject({ "org_notes PSEUDONYMISED": 1 });
    expect(steps(report)["org_notes TEXT_SCRUBBED"]).toBeUndefined();

    // Twice: a no-op that says so.
    const auditBefore = await auditCount(db.db);
    const again = await maintenance.eraseUser(admin, person.id, "asked again");
    expect(again).toMatchObject({
      alreadyErased: true,
      steps: [],
      operationId: report.operationId,
      erasedAt: report.erasedAt,
    });
    expect(await auditCount(db.db)).toBe(auditBefore);

    // The email is free for a new account: the live-unique key still works.
    await expect(engine.create("User", admin, { email, name: "Someone new" })).resolves.toMatchObject({ email });
  });

  it("scrubs the person's name and email from the reason before writing it anywhere", async () => {
    const admin = await newTenant(db.db, "admin@example.test");
    const email = `named-${uid()}@erasure.test`;
    const person = await engine.create("User", admin, { email, name: "Named Person" });
    await maintenance.eraseUser(admin, person.id, `ticket 7: erase ${email} (named person)`);
    const [entry] = await query<{ reason: string }>(
      db.db,
      `SELECT COALESCE(a.reason, (SELECT f.reason FROM audit_log f WHERE f.operation_id = a.operation_id AND f.reason IS NOT NULL ORDER BY f.id LIMIT 1)) AS reason FROM audit_log a WHERE action = 'ERASE' AND entity_id = '${person.id}'`,
    );
    expect(entry!.reason).toBe("ticket 7: erase [erased] ([erased])");
    expect((await engine.find("User", admin, person.id, "ALL"))!.deletionReason).toBe(
      "ticket 7: erase [erased] ([erased])",
    );
  });

  it("never rewrites an enumeration or another person's text that equals the name (a user named TODO)", async () => {
    const admin = await newTenant(db.db, "admin@example.test");
    const person = await engine.create("User", admin, { email: `todo-${uid()}@erasure.test`, name: "TODO" });
    const project = await engine.create("Project", admin, { slug: `todo-${uid()}`, name: "TODO list" });
    const tasks = [];
    for (let i = 0; i < 10; i++)
      tasks.push(await engine.create("Task", admin, { projectId: project.id, title: "TODO" }));
    const theirs = await engine.create(
      "Task",
      { ...admin, actor: person.email as string },
      { projectId: project.id, title: "TODO: mine" },
    );
    await maintenance.eraseUser(admin, person.id, "request");
    for (const task of tasks)
      expect(await engine.find("Task", admin, task.id)).toMatchObject({ status: "TODO", title: "TODO" });
    expect(await engine.find("Project", admin, project.id)).toMatchObject({ name: "TODO list" });
    // Their own free text is theirs to lose; the enumeration in their own row is not free text.
    expect(await engine.find("Task", admin, theirs.id)).toMatchObject({ title: "[erased]: mine", status: "TODO" });
  });

  it("leaves other people's own names alone, even the same name", async () => {
    const admin = await newTenant(db.db, "admin@example.test");
    const person = await engine.create("User", admin, { email: `a-${uid()}@erasure.test`, name: "Common Name" });
    const namesake = await engine.create("User", admin, { email: `b-${uid()}@erasure.test`, name: "Common Name" });
    await maintenance.eraseUser(admin, person.id, "request");
    expect(await engine.find("User", admin, namesake.id)).toMatchObject({ name: "Common Name" });
  });

  it("erases an already deleted user too, and refuses an unknown or foreign id and an empty reason", async () => {
    const admin = await newTenant(db.db, "admin@example.test");
    const stranger = await newTenant(db.db, "admin@example.test");
    const person = await engine.create("User", admin, { email: `d-${uid()}@erasure.test`, name: "Deleted Person" });
    await engine.softDelete("User", admin, person.id);
    const report = await maintenance.eraseUser(admin, person.id, "request");
    expect(report.steps.map((s) => s.action)).not.toContain("SOFT_DELETED");
    expect(steps(report)).toMatchObject({ "users BLANKED": 1 });
    await expect(maintenance.eraseUser(stranger, person.id, "request")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(maintenance.eraseUser(admin, "00000000-0000-4000-8000-000000000000", "request")).rejects.toMatchObject(
      { code: "NOT_FOUND" },
    );
    await expect(maintenance.eraseUser(admin, person.id, "  ")).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
      details: { field: "reason" },
    });
  });

  it("is one transaction: a failure part-way changes nothing", async () => {
    const admin = await newTenant(db.db, "admin@example.test");
    const email = `t-${uid()}@erasure.test`;
    const person = await engine.create("User", admin, { email, name: "Transaction Person" });
    const comment = await engine.create(
      "Comment",
      { ...admin, actor: email },
      {
        taskId: (
          await engine.create("Task", admin, {
            projectId: (await engine.create("Project", admin, { slug: `s-${uid()}`, name: "P" })).id,
            title: "T",
          })
        ).id,
        authorId: person.id,
        body: "mine",
      },
    );
    // Blanking the actors comes late, after the user, the comments and the pseudonyms were written.
    await query(
      db.db,
      `CREATE FUNCTION refuse_erasure() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'failed on purpose'; END; $$`,
    );
    await query(
      db.db,
      `CREATE TRIGGER refuse_erasure BEFORE UPDATE ON actors FOR EACH ROW EXECUTE FUNCTION refuse_erasure()`,
    );
    try {
      await expect(maintenance.eraseUser(admin, person.id, "request")).rejects.toThrow();
    } finally {
      await query(db.db, `DROP TRIGGER refuse_erasure ON actors`);
      await query(db.db, `DROP FUNCTION refuse_erasure()`);
    }
    expect(await engine.find("User", admin, person.id)).toMatchObject({ name: "Transaction Person", email });
    expect(await engine.find("Comment", admin, comment.id)).toMatchObject({ body: "mine", createdBy: email });
    expect(await auditCount(db.db, `action = 'ERASE' AND entity_id = '${person.id}'`)).toBe(0);
    expect((await maintenance.eraseUser(admin, person.id, "request")).alreadyErased).toBe(false);
  });
});

describe("eraseUser and reasons typed earlier", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase();
  });

  afterAll(async () => {
    await db?.close();
  });

  it("scrubs the deletion reasons the person typed on the rows; others' reasons and the append-only audit trail keep what was typed (documented limitation)", async () => {
    const engine = makeEngine(db.db);
    const maintenance = new Maintenance(engine, db, { personalData: PERSONAL_DATA });
    const admin = await newTenant(db.db, "admin@example.test");
    const email = `r-${uid()}@erasure.test`;
    const person = await engine.create("User", admin, { email, name: NAME });
    const project = await engine.create("Project", admin, { slug: `p-${uid()}`, name: "P" });
    const hers = await engine.create("Task", admin, { projectId: project.id, title: "T" });
    const others = await engine.create("Task", admin, { projectId: project.id, title: "U" });
    await engine.softDelete("Task", { ...admin, actor: email }, hers.id, { reason: `${NAME} says duplicate` });
    await engine.softDelete("Task", admin, others.id, { reason: `duplicate of ${NAME}'s task` });
    await maintenance.eraseUser(admin, person.id, "request");
    expect((await engine.find("Task", admin, hers.id, "ALL"))!.deletionReason).toBe("[erased] says duplicate");
    expect((await engine.find("Task", admin, others.id, "ALL"))!.deletionReason).toBe(`duplicate of ${NAME}'s task`);
    const hits = await fullTextScan(db, NAME);
    expect([...new Set(hits.map((h) => h.table))].sort()).toEqual(["public.audit_log", "public.tasks"]);
  });
});
