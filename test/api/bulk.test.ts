/**
 * Durable bulk soft delete and restore through the API: id and filter targets, skipped reasons, limits,
 * progress over a real graphql-ws WebSocket, late subscribers, cancel and undo, and retries.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestApi, type TestApi } from "../support/api.js";
import { query } from "../support/db.js";
import { OP_FIELDS, waitFor } from "../support/bulk.js";
import { codeOf, must } from "../support/graph.js";
import { wsClient } from "../support/ws.js";

async function newProject(api: TestApi, tasks: number) {
  const p = await must(api, `mutation($s: String!) { createProject(input: { slug: $s, name: "bulk" }) { id } }`, {
    s: `bulk-${Math.random().toString(36).slice(2, 10)}`,
  });
  const ids: string[] = [];
  for (let i = 0; i < tasks; i++)
    ids.push(
      (
        await must(api, `mutation($p: ID!) { createTask(input: { projectId: $p, title: "t" }) { id } }`, {
          p: p.createProject.id,
        })
      ).createTask.id,
    );
  return { project: p.createProject.id as string, tasks: ids };
}

function uuidOf(globalId: string) {
  return Buffer.from(globalId, "base64url").toString().split(":")[1]!;
}

describe("bulk operations", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ bulk: { batchSize: 2, maxIds: 8 } });
  });
  afterAll(() => api.close());

  test("ids: live ids are deleted under the operation id; unknown, foreign, deleted and malformed ids are skipped with reasons", async () => {
    const { tasks } = await newProject(api, 3);
    await must(api, `mutation($id: ID!) { softDelete(id: $id) { operationId } }`, { id: tasks[2] });
    const acme = await api.auth("ADMIN", "acme");
    const foreign = (await must(api, `{ tasks(first: 1) { edges { node { id } } } }`, undefined, acme)).tasks.edges[0]
      .node.id;
    const unknown = Buffer.from("Task:00000000-0000-4000-8000-000000000001").toString("base64url");
    const queued = await must(
      api,
      `mutation($ids: [ID!]) { bulkSoftDelete(ids: $ids, reason: "cleanup") { ${OP_FIELDS} } }`,
      {
        ids: [tasks[0], tasks[1], tasks[2], foreign, unknown, "garbage"],
      },
    );
    expect(queued.bulkSoftDelete).toMatchObject({ kind: "SOFT_DELETE", status: "PENDING", total: 6 });
    const op = await waitFor(api, queued.bulkSoftDelete.id);
    expect(op).toMatchObject({ status: "SUCCEEDED", processed: 2, skipped: 4, failed: 0, batches: 3 });
    expect(Object.fromEntries(op.skippedReasons.map((r: any) => [r.reason, r.count]))).toEqual({
      ALREADY_DELETED: 1,
      NOT_FOUND: 2,
      INVALID_ID: 1,
    });
    const rows = await query<{ deletion_operation_id: string; deletion_reason: string }>(
      api.db.db,
      `SELECT deletion_operation_id, deletion_reason FROM tasks WHERE id IN ('${uuidOf(tasks[0]!)}', '${uuidOf(tasks[1]!)}')`,
    );
    expect(rows).toEqual([
      { deletion_operation_id: op.id, deletion_reason: "cleanup" },
      { deletion_operation_id: op.id, deletion_reason: "cleanup" },
    ]);
    const audit = await must(api, `query($op: ID!) { auditLog(operationId: $op) { totalCount } }`, { op: op.id });
    expect(audit.auditLog.totalCount).toBe(op.processed + op.cascaded);
    // The foreign task is untouched.
    expect((await must(api, `query($id: ID!) { task(id: $id) { id } }`, { id: foreign }, acme)).task.id).toBe(foreign);
  });

  test("filter: every live task of a project, with cascades, keyset batch by batch; bulkRestore(operationId) undoes it exactly", async () => {
    const { project, tasks } = await newProject(api, 5);
    await must(api, `mutation($t: ID!) { createComment(input: { taskId: $t, body: "c" }) { id } }`, { t: tasks[0] });
    await must(api, `mutation($id: ID!) { softDelete(id: $id) { operationId } }`, { id: tasks[4] });
    const queued = await must(
      api,
      `mutation($p: ID!) { bulkSoftDelete(filter: { type: Task, projectId: $p }) { id total } }`,
      { p: project },
    );
    expect(queued.bulkSoftDelete.total).toBe(4);
    const op = await waitFor(api, queued.bulkSoftDelete.id);
    expect(op).toMatchObject({ status: "SUCCEEDED", processed: 4, cascaded: 1, skipped: 0 });
    const live = await must(api, `query($p: ID!) { tasks(projectId: $p) { totalCount } }`, { p: project });
    expect(live.tasks.totalCount).toBe(0);

    const undo = await must(api, `mutation($op: ID!) { bulkRestore(operationId: $op) { id total } }`, { op: op.id });
    expect(undo.bulkRestore.total).toBe(4);
    const restored = await waitFor(api, undo.bulkRestore.id);
    expect(restored).toMatchObject({ status: "SUCCEEDED", processed: 4, cascaded: 1 });
    const after = await must(
      api,
      `query($p: ID!) { tasks(projectId: $p, includeDeleted: true) { edges { node { id isDeleted } } } }`,
      { p: project },
    );
    const state = Object.fromEntries(after.tasks.edges.map((e: any) => [e.node.id, e.node.isDeleted]));
    expect(state).toEqual({
      [tasks[0]!]: false,
      [tasks[1]!]: false,
      [tasks[2]!]: false,
      [tasks[3]!]: false,
      [tasks[4]!]: true,
    });
  });

  test("bulkRestore(ids) restores each id exactly and skips live or unknown ones", async () => {
    const { tasks } = await newProject(api, 2);
    await must(api, `mutation($id: ID!) { softDelete(id: $id) { operationId } }`, { id: tasks[0] });
    const queued = await must(api, `mutation($ids: [ID!]) { bulkRestore(ids: $ids) { id } }`, {
      ids: [tasks[0], tasks[1]],
    });
    const op = await waitFor(api, queued.bulkRestore.id);
    expect(op).toMatchObject({ status: "SUCCEEDED", processed: 1, skipped: 1 });
    expect(op.skippedReasons).toEqual([{ reason: "NOT_DELETED", count: 1 }]);
  });

  test("limits and bad requests are refused and queue nothing", async () => {
    const count = async () =>
      (await must(api, `{ bulkOperations(first: 100) { totalCount } }`)).bulkOperations.totalCount;
    const before = await count();
    const tooMany = await api.exec(`mutation($ids: [ID!]) { bulkSoftDelete(ids: $ids) { id } }`, {
      ids: Array.from({ length: 9 }, (_, i) => `x${i}`),
    });
    expect(codeOf(tooMany)).toBe("BAD_USER_INPUT");
    expect(tooMany.errors![0]!.extensions!.field).toBe("ids");
    const both = await api.exec(`mutation { bulkSoftDelete(ids: [], filter: { type: Task }) { id } }`);
    expect(codeOf(both)).toBe("BAD_USER_INPUT");
    const misfit = await api.exec(
      `mutation($p: ID!) { bulkSoftDelete(filter: { type: User, projectId: $p }) { id } }`,
      {
        p: Buffer.from("Project:00000000-0000-4000-8000-000000000001").toString("base64url"),
      },
    );
    expect(codeOf(misfit)).toBe("BAD_USER_INPUT");
    expect(await count()).toBe(before);
  });

  test("bulk operations are ADMIN only", async () => {
    const editor = await api.auth("EDITOR");
    expect(
      codeOf(await api.exec(`mutation { bulkSoftDelete(filter: { type: Comment }) { id } }`, undefined, editor)),
    ).toBe("FORBIDDEN");
    expect(codeOf(await api.exec(`{ bulkOperations { totalCount } }`, undefined, editor))).toBe("FORBIDDEN");
  });

  test("another organization's operation is invisible", async () => {
    const queued = await must(api, `mutation { bulkRestore(ids: []) { id } }`);
    await waitFor(api, queued.bulkRestore.id);
    const acme = await api.auth("ADMIN", "acme");
    expect(
      (await must(api, `query($id: ID!) { bulkOperation(id: $id) { id } }`, { id: queued.bulkRestore.id }, acme))
        .bulkOperation,
    ).toBeNull();
    expect(
      codeOf(
        await api.exec(
          `mutation($id: ID!) { cancelBulkOperation(id: $id) { id } }`,
          { id: queued.bulkRestore.id },
          acme,
        ),
      ),
    ).toBe("NOT_FOUND");
  });
});

describe("progress over WebSocket", () => {
  let api: TestApi;
  beforeAll(async () => {
    // A short pause between batches lets each batch's event be read before the next commits (events only say
    // "look again" and may coalesce; the assertions below hold either way except the count of distinct states).
    api = await startTestApi({ bulk: { batchSize: 1, pauseMs: 100 }, runner: false });
  });
  afterAll(() => api.close());

  const SUB = `subscription($id: ID!) { bulkOperationProgress(id: $id) { operationId status processed batches total } }`;

  function collect(client: ReturnType<typeof wsClient>["client"], id: string) {
    const events: any[] = [];
    const done = new Promise<void>((resolve, reject) =>
      client.subscribe(
        { query: SUB, variables: { id } },
        {
          next: (v: any) =>
            v.errors ? reject(new Error(JSON.stringify(v.errors))) : events.push(v.data.bulkOperationProgress),
          error: reject,
          complete: resolve,
        },
      ),
    );
    return { events, done };
  }

  test("a subscriber gets the current state, one event per batch in order, and the terminal state last", async () => {
    const { project } = await newProject(api, 4);
    const queued = await must(
      api,
      `mutation($p: ID!) { bulkSoftDelete(filter: { type: Task, projectId: $p }) { id } }`,
      { p: project },
    );
    const id = queued.bulkSoftDelete.id;
    const { client } = wsClient(api.url, await api.auth("ADMIN"));
    const { events, done } = collect(client, id);
    while (!events.length) await new Promise((r) => setTimeout(r, 20));
    expect(events[0]).toMatchObject({ operationId: id, status: "PENDING", processed: 0 });
    api.services.runner.start();
    await done;
    await client.dispose();
    expect(events.at(-1)).toMatchObject({ status: "SUCCEEDED", processed: 4, total: 4 });
    for (let i = 1; i < events.length; i++) {
      expect(events[i].batches).toBeGreaterThanOrEqual(events[i - 1].batches);
      expect(events[i].processed).toBeGreaterThanOrEqual(events[i - 1].processed);
    }
    expect(events.filter((e) => e.status === "SUCCEEDED")).toHaveLength(1);
    // Intermediate states were streamed, not just the first and the last.
    expect(new Set(events.map((e) => e.batches)).size).toBeGreaterThanOrEqual(3);
  });

  test("a late subscriber first receives the current (terminal) state, and the stream ends", async () => {
    const queued = await must(api, `mutation { bulkRestore(ids: []) { id } }`);
    await waitFor(api, queued.bulkRestore.id);
    const { client } = wsClient(api.url, await api.auth("ADMIN"));
    const { events, done } = collect(client, queued.bulkRestore.id);
    await done;
    await client.dispose();
    expect(events).toEqual([
      { operationId: queued.bulkRestore.id, status: "SUCCEEDED", processed: 0, batches: 1, total: 0 },
    ]);
  });
});

describe("cancel, retry and failure", () => {
  let api: TestApi;
  const calls: number[] = [];
  let failMode: "none" | "transient-once" | "permanent-on-2" = "none";
  beforeAll(async () => {
    api = await startTestApi({
      bulk: {
        batchSize: 1,
        pauseMs: 100,
        beforeBatch: (_op, batch) => {
          calls.push(batch);
          if (failMode === "transient-once" && batch === 1 && calls.filter((b) => b === 1).length === 1)
            throw Object.assign(new Error("could not serialize access"), { code: "40001" });
          if (failMode === "permanent-on-2" && batch === 2) throw new Error("disk on fire");
        },
      },
    });
  });
  afterAll(() => api.close());

  test("cancel stops after the current batch; processed rows stay deleted and bulkRestore(operationId) undoes them", async () => {
    failMode = "none";
    const { project } = await newProject(api, 8);
    const queued = await must(
      api,
      `mutation($p: ID!) { bulkSoftDelete(filter: { type: Task, projectId: $p }) { id } }`,
      { p: project },
    );
    const id = queued.bulkSoftDelete.id;
    await waitFor(api, id, (op) => op.processed >= 2);
    const cancel = await must(api, `mutation($id: ID!) { cancelBulkOperation(id: $id) { id } }`, { id });
    expect(cancel.cancelBulkOperation.id).toBe(id);
    const op = await waitFor(api, id);
    expect(op.status).toBe("CANCELLED");
    expect(op.processed).toBeLessThan(8);
    const left = await must(api, `query($p: ID!) { tasks(projectId: $p) { totalCount } }`, { p: project });
    expect(left.tasks.totalCount).toBe(8 - op.processed);
    const undo = await must(api, `mutation($op: ID!) { bulkRestore(operationId: $op) { id } }`, { op: id });
    expect((await waitFor(api, undo.bulkRestore.id)).processed).toBe(op.processed);
    expect(
      (await must(api, `query($p: ID!) { tasks(projectId: $p) { totalCount } }`, { p: project })).tasks.totalCount,
    ).toBe(8);
  });

  test("a transient database error (40001) retries the batch, and the operation succeeds with exact counts", async () => {
    failMode = "transient-once";
    calls.length = 0;
    const { project } = await newProject(api, 2);
    const queued = await must(
      api,
      `mutation($p: ID!) { bulkSoftDelete(filter: { type: Task, projectId: $p }) { id } }`,
      { p: project },
    );
    const op = await waitFor(api, queued.bulkSoftDelete.id);
    expect(op).toMatchObject({ status: "SUCCEEDED", processed: 2, failed: 0 });
    expect(calls.filter((b) => b === 1)).toHaveLength(2);
    expect(
      (await must(api, `query($op: ID!) { auditLog(operationId: $op) { totalCount } }`, { op: op.id })).auditLog
        .totalCount,
    ).toBe(2);
  });

  test("a permanent error fails the operation, records the error and keeps the committed batches", async () => {
    failMode = "permanent-on-2";
    const { project } = await newProject(api, 3);
    const queued = await must(
      api,
      `mutation($p: ID!) { bulkSoftDelete(filter: { type: Task, projectId: $p }) { id } }`,
      { p: project },
    );
    const op = await waitFor(api, queued.bulkSoftDelete.id);
    expect(op).toMatchObject({ status: "FAILED", processed: 1, batches: 1, failed: 1, error: "disk on fire" });
    expect(
      (await must(api, `query($p: ID!) { tasks(projectId: $p) { totalCount } }`, { p: project })).tasks.totalCount,
    ).toBe(2);
    failMode = "none";
  });
});
