/**
 * healthReport, purgeExpired and eraseUser through the API, as clients call them: ADMIN only, scoped to the
 * caller's organization where they change data, errors by `extensions.code`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DB_KIND, query } from "../support/db.js";
import { codeOf, must } from "../support/graph.js";
import { startTestApi, type TestApi } from "../support/api.js";
import { ageDeletions as ageOrganization, rowCounts } from "../support/retention.js";

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ operatorSubjects: ["ops@platform.test"] });
});

afterAll(async () => {
  await api?.close();
});

const HEALTH = `{ healthReport {
  scope generatedAt durationMs
  database { reachable kind serverVersion latencyMs error pool { max total idle waiting } }
  tables {
    entityType table estimatedRows deletedRatio oldestDeletion retentionDays tableBytes indexBytes deadTuples
    lastVacuum lastAutovacuum lastAnalyze lastAutoanalyze seqScans indexScans
    liveRows { count exact } deletedRows { count exact } rowsPastRetention { count exact }
    partialIndexes { name unique status createStatement }
  }
  recommendations { severity kind entityType table message action }
} }`;

const PURGE = `mutation($dryRun: Boolean, $type: SoftDeletableType) {
  purgeExpired(dryRun: $dryRun, type: $type) {
    dryRun alreadyRunning interrupted operationId startedAt finishedAt batches skippedCount
    purged { type count }
    skipped { id type reason dependantId dependantType }
  }
}`;

const ERASE = `mutation($id: ID!, $reason: String!) {
  eraseUser(id: $id, reason: $reason) { user alreadyErased operationId erasedAt steps { table action rows } }
}`;

const counts = (slug: string) => rowCounts(api.db.db, slug);
const ageDeletions = (slug: string, days: number) => ageOrganization(api.db.db, slug, days);

describe("healthReport", () => {
  it("gives an operator (OPERATOR_SUBJECTS) the report of every soft-deletable table, database-wide", async () => {
    const data = await must(api, HEALTH, {}, await api.auth("ADMIN", "demo", "ops@platform.test"));
    const report = data.healthReport;
    expect(report.scope).toBe("DATABASE");
    expect(report.database).toMatchObject({ reachable: true, kind: DB_KIND === "pglite" ? "EMBEDDED" : "SERVER" });
    expect(report.database.pool === null).toBe(DB_KIND === "pglite");
    expect(report.tables.map((t: { entityType: string }) => t.entityType).sort()).toEqual([
      "Comment",
      "Project",
      "Task",
      "TaskAssignment",
      "User",
    ]);
    const users = report.tables.find((t: { table: string }) => t.table === "users");
    const [live] = await query<{ n: number }>(
      api.db.db,
      `SELECT count(*)::int AS n FROM users WHERE deleted_at IS NULL`,
    );
    expect(users.liveRows).toEqual({ count: live!.n, exact: true });
    expect(users.tableBytes).toBeGreaterThan(0);
    expect(users.partialIndexes.every((i: { status: string }) => i.status === "PRESENT")).toBe(true);
  });

  it("gives an organization's ADMIN its own organization's counts only: another tenant's writes do not move them", async () => {
    const acme = await api.auth("ADMIN", "acme");
    const before = (await must(api, HEALTH, {}, acme)).healthReport;
    expect(before.scope).toBe("ORGANIZATION");
    const comments = (r: any) => r.tables.find((t: { table: string }) => t.table === "comments");
    const [mine] = await query<{ live: number; deleted: number }>(
      api.db.db,
      `SELECT count(*) FILTER (WHERE deleted_at IS NULL)::int AS live, count(*) FILTER (WHERE deleted_at IS NOT NULL)::int AS deleted
       FROM comments WHERE organization_id = (SELECT id FROM organizations WHERE slug = 'acme')`,
    );
    expect(comments(before).liveRows).toEqual({ count: mine!.live, exact: true });
    expect(comments(before).deletedRows).toEqual({ count: mine!.deleted, exact: true });
    // Figures other tenants move are not shown at all.
    for (const t of before.tables)
      expect([t.tableBytes, t.indexBytes, t.deadTuples, t.seqScans, t.indexScans]).toEqual([
        null,
        null,
        null,
        null,
        null,
      ]);
    expect(before.database.pool).toBeNull();

    // The demo tenant comments and deletes: acme's report does not move.
    const task = (await must(api, `{ tasks(first: 1) { edges { node { id } } } }`)).tasks.edges[0].node.id;
    const user = (await must(api, `{ users(first: 1) { edges { node { id } } } }`)).users.edges[0].node.id;
    const c = await must(
      api,
      `mutation($t: ID!, $u: ID!) { createComment(input: { taskId: $t, authorId: $u, body: "moves" }) { id } }`,
      {
        t: task,
        u: user,
      },
    );
    await must(api, `mutation($id: ID!) { softDelete(id: $id) { operationId } }`, { id: c.createComment.id });
    const after = (await must(api, HEALTH, {}, acme)).healthReport;
    const strip = (r: any) => r.tables.map((t: any) => ({ ...t, partialIndexes: undefined }));
    expect(strip(after)).toEqual(strip(before));
  });

  it("does not make an ADMIN an operator by a subject listed for another role", async () => {
    const editor = await api.auth("EDITOR", "demo", "ops@platform.test");
    expect(codeOf(await api.exec(HEALTH, {}, editor))).toBe("FORBIDDEN");
    expect((await must(api, HEALTH)).healthReport.scope).toBe("ORGANIZATION");
  });

  it("is refused to EDITORs and VIEWERs", async () => {
    for (const role of ["EDITOR", "VIEWER"] as const)
      expect(codeOf(await api.exec(HEALTH, {}, await api.auth(role)))).toBe("FORBIDDEN");
  });
});

describe("purgeExpired", () => {
  it("is a dry run unless asked otherwise, and then purges the caller's organization only", async () => {
    await ageDeletions("demo", 100);
    await ageDeletions("acme", 100);
    const demoBefore = await counts("demo");
    const acmeBefore = await counts("acme");

    const dry = (await must(api, PURGE, {})).purgeExpired;
    expect(dry).toMatchObject({ dryRun: true, alreadyRunning: false, operationId: null, skippedCount: 0, skipped: [] });
    expect(await counts("demo")).toEqual(demoBefore);
    const wouldGo = Object.fromEntries(dry.purged.map((c: { type: string; count: number }) => [c.type, c.count]));
    expect(wouldGo.Task).toBeGreaterThan(0);

    const real = (await must(api, PURGE, { dryRun: false })).purgeExpired;
    expect(real.purged).toEqual(dry.purged);
    const demoAfter = await counts("demo");
    const [left] = await query<{ n: number }>(
      api.db.db,
      `SELECT count(*)::int AS n FROM tasks WHERE deleted_at IS NOT NULL AND organization_id = (SELECT id FROM organizations WHERE slug = 'demo')`,
    );
    expect(left!.n).toBe(0);
    expect(demoAfter.tasks).toBe(demoBefore.tasks! - wouldGo.Task);
    expect(await counts("acme")).toEqual(acmeBefore);

    // Each purged row is in the audit trail, under the caller.
    const audit = await must(
      api,
      `query($op: ID!) { auditLog(operationId: $op, first: 100) { totalCount edges { node { action actor reason } } } }`,
      {
        op: real.operationId,
      },
    );
    expect(audit.auditLog.totalCount).toBe(real.purged.reduce((n: number, c: { count: number }) => n + c.count, 0));
    expect(audit.auditLog.edges[0].node).toMatchObject({ action: "PURGE", actor: "admin@demo.test" });
  });

  it("takes a type, reports skipped rows with global ids, and is refused to EDITORs", async () => {
    const project = await must(api, `mutation { createProject(input: { slug: "purge-skip", name: "P" }) { id } }`);
    const task = await must(api, `mutation($p: ID!) { createTask(input: { projectId: $p, title: "T" }) { id } }`, {
      p: project.createProject.id,
    });
    const comment = await must(api, `mutation($t: ID!) { createComment(input: { taskId: $t, body: "kept" }) { id } }`, {
      t: task.createTask.id,
    });
    await must(api, `mutation($id: ID!) { softDelete(id: $id) { operationId } }`, { id: task.createTask.id });
    await ageDeletions("demo", 100);
    // A live comment under the deleted task, written behind the engine's back.
    await query(api.db.db, `UPDATE comments SET deleted_at = NULL, deletion_operation_id = NULL WHERE body = 'kept'`);
    const report = (await must(api, PURGE, { type: "Task" })).purgeExpired;
    expect(report.skipped).toEqual([
      {
        id: task.createTask.id,
        type: "Task",
        reason: "LIVE_DEPENDANT",
        dependantId: comment.createComment.id,
        dependantType: "Comment",
      },
    ]);
    expect(codeOf(await api.exec(PURGE, { dryRun: false }, await api.auth("EDITOR")))).toBe("FORBIDDEN");
  });
});

describe("eraseUser", () => {
  async function userId(email: string) {
    const [r] = await query<{ id: string }>(api.db.db, `SELECT id FROM users WHERE email = '${email}'`);
    return Buffer.from(`User:${r!.id}`).toString("base64url");
  }

  it("erases a user of the caller's organization once, and says so the second time", async () => {
    const id = await userId("grace@demo.test");
    const first = (await must(api, ERASE, { id, reason: "request 1" })).eraseUser;
    expect(first).toMatchObject({ user: id, alreadyErased: false });
    expect(first.steps).toContainEqual({ table: "users", action: "BLANKED", rows: 1 });
    const user = await must(api, `query($id: ID!) { user(id: $id, includeDeleted: true) { name email isDeleted } }`, {
      id,
    });
    expect(user.user).toMatchObject({ name: "Erased user", isDeleted: true });
    expect(user.user.email).toMatch(/^erased-.*@invalid$/);
    const second = (await must(api, ERASE, { id, reason: "request 1" })).eraseUser;
    expect(second).toMatchObject({
      alreadyErased: true,
      steps: [],
      operationId: first.operationId,
      erasedAt: first.erasedAt,
    });
  });

  it("refuses another type's id, another organization's user, an empty reason, and non-ADMINs", async () => {
    const project = await must(api, `{ projects(first: 1) { edges { node { id } } } }`);
    expect(codeOf(await api.exec(ERASE, { id: project.projects.edges[0].node.id, reason: "r" }))).toBe(
      "BAD_USER_INPUT",
    );
    expect(codeOf(await api.exec(ERASE, { id: await userId("ada@acme.test"), reason: "r" }))).toBe("NOT_FOUND");
    expect(codeOf(await api.exec(ERASE, { id: await userId("ada@demo.test"), reason: " " }))).toBe("BAD_USER_INPUT");
    expect(
      codeOf(await api.exec(ERASE, { id: await userId("ada@demo.test"), reason: "r" }, await api.auth("EDITOR"))),
    ).toBe("FORBIDDEN");
  });
});
