/**
 * Adding an entity is one declaration: a test model declares one more entity (a note on a task, declared in
 * test/support/note-entity.ts, its table created here) and gets, with no other code, its GraphQL type, inputs and mutations, reads with
 * includeDeleted (compiled to SQL by the read compiler, as the other entities' reads are), softDelete/restore
 * with the task's cascade, bulk operations by filter, retention, and its table in the health report. The test
 * kit's table helpers take the model too, so they cover the extra table with no change.
 */
import { sql } from "drizzle-orm";
import { printSchema } from "graphql";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Database } from "../../src/db/database.js";
import { tenantTables, unprotectedTables } from "../../src/db/rls-checks.js";
import { enterScope } from "../../src/engine/transaction.js";
import { startResolversApp, startTestApi, type TestApi } from "../support/api.js";
import { waitFor } from "../support/bulk.js";
import { ageDeletions, rowCounts } from "../support/retention.js";
import { must } from "../support/graph.js";
import { CREATE_TABLE, TEST_MODEL } from "../support/note-entity.js";
import { rowsOf } from "../support/db.js";

/** The one line the entity's migration adds by hand (README, "Adding an entity"). */
const PROTECT_TABLE = `SELECT softdelete_protect_tenant_table('task_notes')`;

describe("an entity declared in a test model", () => {
  let api: TestApi;
  let unprotectedBefore: string[];
  let taskId: string;
  beforeAll(async () => {
    api = await startTestApi({ model: TEST_MODEL });
    for (const statement of CREATE_TABLE.split(";").filter((s) => s.trim()))
      await api.db.db.execute(sql.raw(statement));
    unprotectedBefore = await unprotectedTables(api.db.db, tenantTables(TEST_MODEL));
    // The line README's "Adding an entity" adds to the generated migration.
    await api.db.db.execute(sql.raw(PROTECT_TABLE));
    const project = await must(api, `mutation { createProject(input: { slug: "notes", name: "Notes" }) { id } }`);
    const task = await must(api, `mutation($p: ID!) { createTask(input: { projectId: $p, title: "noted" }) { id } }`, {
      p: project.createProject.id,
    });
    taskId = task.createTask.id;
  });
  afterAll(() => api.close());

  const createNote = `mutation($i: CreateNoteInput!) { createNote(input: $i) { id body task { id } } }`;
  const notesOfTask = `query($t: ID!, $all: Boolean!) { task(id: $t) { notes(includeDeleted: $all) { totalCount edges { node { id isDeleted } } } } }`;
  const softDelete = `mutation($id: ID!) { softDelete(id: $id) { operationId cascaded { type count } } }`;
  const restore = `mutation($id: ID!) { restore(id: $id) { cascaded { type count } node { id isDeleted } } }`;

  async function newNotes(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++)
      ids.push((await must(api, createNote, { i: { taskId, body: `note ${i}` } })).createNote.id);
    return ids;
  }

  test("the schema has its type, connection, relation fields, inputs, mutations, queries and enum value", async () => {
    const printed = printSchema(api.app.schema);
    expect(printed).toContain("type Note implements Node & SoftDeletable");
    expect(printed).toMatch(/notes\([\s\S]*?\): NoteConnection!/);
    expect(printed).toContain("createNote(input: CreateNoteInput!): Note!");
    expect(printed).toContain("updateNote(id: ID!, input: UpdateNoteInput!): Note!");
    expect(api.app.schema.getType("SoftDeletableType")?.toString()).toBe("SoftDeletableType");
    expect(printed).toMatch(/enum SoftDeletableType \{[^}]*\bNote\b/);
  });

  test("row-level security covers its table once its migration calls softdelete_protect_tenant_table", async () => {
    expect(unprotectedBefore).toEqual(["task_notes"]);
    expect(await unprotectedTables(api.db.db, tenantTables(TEST_MODEL))).toEqual([]);
    await newNotes(1);
    const [mine] = await rowsOf<{ id: string }>(api.db.db, sql`SELECT DISTINCT organization_id AS id FROM task_notes`);
    const [other] = await rowsOf<{ id: string }>(
      api.db.db,
      sql`SELECT id FROM organizations WHERE id <> ${mine!.id} LIMIT 1`,
    );
    // As the application role, the statement without any organization filter, for each organization in turn.
    const visible = (organizationId: string) =>
      api.db.db.transaction(async (tx) => {
        await enterScope(tx as unknown as Database, { organizationId });
        return (
          await rowsOf<{ n: number }>(tx as unknown as Database, sql`SELECT count(*)::int AS n FROM task_notes`)
        )[0]!.n;
      });
    expect(await visible(mine!.id)).toBeGreaterThan(0);
    expect(await visible(other!.id)).toBe(0);
  });

  test("reads hide a deleted note unless includeDeleted, at every level", async () => {
    const [kept, gone] = await newNotes(2);
    await must(api, softDelete, { id: gone });

    const live = (await must(api, notesOfTask, { t: taskId, all: false })).task.notes;
    expect(live.edges.map((e: any) => e.node.id)).toContain(kept);
    expect(live.edges.map((e: any) => e.node.id)).not.toContain(gone);
    const all = (await must(api, notesOfTask, { t: taskId, all: true })).task.notes;
    expect(all.edges.map((e: any) => e.node.id)).toEqual(expect.arrayContaining([kept, gone]));
    expect(all.totalCount).toBe(live.totalCount + 1);

    const single = `query($id: ID!, $all: Boolean!) { note(id: $id, includeDeleted: $all) { id isDeleted task { id } } }`;
    expect((await must(api, single, { id: gone, all: false })).note).toBeNull();
    expect((await must(api, single, { id: gone, all: true })).note).toMatchObject({
      isDeleted: true,
      task: { id: taskId },
    });
    const node = `query($id: ID!, $all: Boolean!) { node(id: $id, includeDeleted: $all) { id } }`;
    expect((await must(api, node, { id: gone, all: false })).node).toBeNull();
    expect((await must(api, node, { id: gone, all: true })).node).toEqual({ id: gone });

    const list = `query($all: Boolean!, $only: Boolean!) { notes(first: 100, includeDeleted: $all, onlyDeleted: $only) { edges { node { id } } } }`;
    const ids = async (all: boolean, only: boolean) =>
      (await must(api, list, { all, only })).notes.edges.map((e: any) => e.node.id);
    expect(await ids(false, false)).not.toContain(gone);
    expect(await ids(false, true)).toContain(gone);
    expect(await ids(true, false)).toEqual(expect.arrayContaining([kept, gone]));
  });

  test("the read compiler answers its reads (one statement per root field), exactly as the resolvers do", async () => {
    const [, gone] = await newNotes(2);
    await must(api, softDelete, { id: gone });
    const query = `query($t: ID!) {
      task(id: $t) { notes(first: 5, includeDeleted: true) { totalCount edges { node { id body isDeleted task { id } } } } }
      notes(first: 5) { edges { node { id body task { id notes(first: 1) { totalCount } } } } }
    }`;
    const resolvers = await startResolversApp(api);
    try {
      api.db.statements.length = 0;
      const fast = JSON.parse(JSON.stringify(await api.exec(query, { t: taskId })));
      // The bulk runner polls meanwhile; a compiled statement returns the answer as its one column `j`.
      const compiled = api.db.statements.filter((s) => /\bAS j\s*$/.test(s) && s.includes("task_notes"));
      expect(compiled).toHaveLength(2);
      const slow = JSON.parse(
        JSON.stringify(await resolvers.execute({ query, variables: { t: taskId } }, await api.auth())),
      );
      expect(fast.errors).toBeUndefined();
      expect(fast.data.task.notes.edges.map((e: any) => e.node.id)).toContain(gone);
      expect(fast).toEqual(slow);
    } finally {
      await resolvers.close();
    }
  });

  test("deleting the task cascades to its live notes; restoring it brings back exactly those", async () => {
    const project = await must(api, `mutation { createProject(input: { slug: "cascade", name: "C" }) { id } }`);
    const task = await must(api, `mutation($p: ID!) { createTask(input: { projectId: $p, title: "t" }) { id } }`, {
      p: project.createProject.id,
    });
    const t = task.createTask.id;
    const make = async (body: string) => (await must(api, createNote, { i: { taskId: t, body } })).createNote.id;
    const [a, b, earlier] = [await make("a"), await make("b"), await make("deleted before")];
    await must(api, softDelete, { id: earlier });

    const deleted = (await must(api, softDelete, { id: t })).softDelete;
    expect(deleted.cascaded).toContainEqual({ type: "Note", count: 2 });
    expect((await must(api, notesOfTask, { t, all: true })).task).toBeNull();

    const restored = (await must(api, restore, { id: t })).restore;
    expect(restored.cascaded).toContainEqual({ type: "Note", count: 2 });
    const notes = (await must(api, notesOfTask, { t, all: true })).task.notes.edges.map((e: any) => e.node);
    expect(notes).toEqual(
      expect.arrayContaining([
        { id: a, isDeleted: false },
        { id: b, isDeleted: false },
        { id: earlier, isDeleted: true },
      ]),
    );
    expect((await must(api, restore, { id: earlier })).restore.node).toEqual({ id: earlier, isDeleted: false });
  });

  test("bulk soft delete by filter and bulk restore of the operation", async () => {
    const project = await must(api, `mutation { createProject(input: { slug: "bulk-notes", name: "B" }) { id } }`);
    const task = await must(api, `mutation($p: ID!) { createTask(input: { projectId: $p, title: "t" }) { id } }`, {
      p: project.createProject.id,
    });
    const t = task.createTask.id;
    for (const body of ["x", "y", "z"]) await must(api, createNote, { i: { taskId: t, body } });

    const queued = await must(
      api,
      `mutation($t: ID!) { bulkSoftDelete(filter: { type: Note, taskId: $t }, reason: "bulk") { id } }`,
      { t },
    );
    const done = await waitFor(api, queued.bulkSoftDelete.id);
    expect(done).toMatchObject({ status: "SUCCEEDED", processed: 3 });
    expect((await must(api, notesOfTask, { t, all: false })).task.notes.totalCount).toBe(0);

    const undo = await must(api, `mutation($op: ID!) { bulkRestore(operationId: $op) { id } }`, {
      op: queued.bulkSoftDelete.id,
    });
    expect(await waitFor(api, undo.bulkRestore.id)).toMatchObject({ status: "SUCCEEDED", processed: 3 });
    expect((await must(api, notesOfTask, { t, all: false })).task.notes.totalCount).toBe(3);
  });

  test("retention purges its expired rows; the test kit counts and ages its table from the model", async () => {
    const project = await must(api, `mutation { createProject(input: { slug: "old-notes", name: "O" }) { id } }`);
    const task = await must(api, `mutation($p: ID!) { createTask(input: { projectId: $p, title: "t" }) { id } }`, {
      p: project.createProject.id,
    });
    const t = task.createTask.id;
    for (const body of ["p", "q"]) await must(api, createNote, { i: { taskId: t, body } });
    await must(api, softDelete, { id: t });

    const before = await rowCounts(api.db.db, "demo", TEST_MODEL);
    const live = (await must(api, `{ notes(first: 100) { totalCount } }`)).notes.totalCount;
    expect(before.task_notes).toBeGreaterThan(live);
    await ageDeletions(api.db.db, "demo", 10_000, TEST_MODEL);
    const purge = `mutation { purgeExpired(dryRun: false) { purged { type count } } }`;
    const purged = (await must(api, purge)).purgeExpired.purged;
    expect(purged).toContainEqual({ type: "Note", count: before.task_notes! - live });
    expect((await rowCounts(api.db.db, "demo", TEST_MODEL)).task_notes).toBe(live);
  });

  test("the health report covers its table and its partial indexes", async () => {
    const report = await must(
      api,
      `{ healthReport { tables { table entityType liveRows { count exact } partialIndexes { name status } } } }`,
    );
    const notes = report.healthReport.tables.find((t: any) => t.table === "task_notes");
    expect(notes).toMatchObject({ entityType: "Note", liveRows: { exact: true } });
    expect(notes.liveRows.count).toBeGreaterThan(0);
    expect(notes.partialIndexes).toEqual(
      expect.arrayContaining([
        { name: "task_notes_task_live_idx", status: "PRESENT" },
        { name: "task_notes_deleted_at_idx", status: "PRESENT" },
      ]),
    );
  });
});
