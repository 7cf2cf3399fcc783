/**
 * Unbounded text must not reach the append-only audit trail (issue: a 1 MB reason on a project cascading to 30
 * rows grew audit_log by 30 MB). Every string input is bounded (MAX_REASON_LENGTH for reasons, MAX_TEXT_LENGTH
 * for the rest), beyond which the answer is BAD_USER_INPUT and nothing changes; a cascaded operation's reason is
 * stored once in the audit trail, not once per row.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestApi, type TestApi } from "../support/api.js";
import { query } from "../support/db.js";
import { codeOf, must, projectWithTasks } from "../support/graph.js";
import { wsClient, wsExec } from "../support/ws.js";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ limits: { maxReasonLength: 100, maxTextLength: 500 } });
});
afterAll(() => api?.close());

const auditRows = async () => (await query<{ n: number }>(api.db.db, `SELECT count(*)::int AS n FROM audit_log`))[0]!.n;

const SOFT_DELETE = `mutation($id: ID!, $r: String) { softDelete(id: $id, reason: $r) { operationId } }`;

describe("text limits", () => {
  test("a reason beyond MAX_REASON_LENGTH is BAD_USER_INPUT (variables, inline, bulk, WebSocket) and changes nothing", async () => {
    const project = await projectWithTasks(api, 3, "text");
    const before = await auditRows();
    const long = "x".repeat(101);
    const viaVariables = await api.http(SOFT_DELETE, { id: project, r: long });
    expect(codeOf(viaVariables.body)).toBe("BAD_USER_INPUT");
    expect(viaVariables.body.errors![0]!.extensions).toMatchObject({ field: "reason", maxLength: 100 });
    const inline = await api.exec(`mutation { softDelete(id: "${project}", reason: "${long}") { operationId } }`);
    expect(codeOf(inline)).toBe("BAD_USER_INPUT");
    const bulk = await api.exec(`mutation($id: ID!, $r: String) { bulkSoftDelete(ids: [$id], reason: $r) { id } }`, {
      id: project,
      r: long,
    });
    expect(codeOf(bulk)).toBe("BAD_USER_INPUT");
    const { client } = wsClient(api.url, await api.auth());
    try {
      const overWs = await wsExec(client, SOFT_DELETE, { id: project, r: long }).catch((errors) => ({ errors }));
      expect(codeOf(overWs)).toBe("BAD_USER_INPUT");
    } finally {
      await client.dispose();
    }
    expect(await auditRows()).toBe(before);
    expect((await must(api, `query($id: ID!) { project(id: $id) { id } }`, { id: project })).project).not.toBeNull();
    // At the limit it is accepted.
    await must(api, SOFT_DELETE, { id: project, r: "x".repeat(100) });
  });

  test("every other string input is bounded by MAX_TEXT_LENGTH, inside input objects too", async () => {
    const project = await projectWithTasks(api, 0, "text");
    const r = await api.http(
      `mutation($p: ID!, $d: String) { createTask(input: { projectId: $p, title: "t", description: $d }) { id } }`,
      { p: project, d: "y".repeat(501) },
    );
    expect(codeOf(r.body)).toBe("BAD_USER_INPUT");
    expect(r.body.errors![0]!.extensions).toMatchObject({ field: "input.description", maxLength: 500 });
    const viaInput = await api.http(`mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }`, {
      i: { projectId: project, title: "z".repeat(501) },
    });
    expect(codeOf(viaInput.body)).toBe("BAD_USER_INPUT");
    expect(viaInput.body.errors![0]!.extensions).toMatchObject({ field: "input.title" });
    const count = await query<{ n: number }>(
      api.db.db,
      `SELECT count(*)::int AS n FROM tasks WHERE project_id = '${Buffer.from(project, "base64url").toString().split(":")[1]}'`,
    );
    expect(count[0]!.n).toBe(0);
  });

  test("the engine bounds a reason for every caller (CLI, jobs), not only the API", async () => {
    const { SoftDeleteEngine } = await import("../../src/engine/engine.js");
    const engine = new SoftDeleteEngine(api.db.db, api.engine.registry, { maxReasonLength: 10 });
    const [org] = await query<{ id: string }>(api.db.db, `SELECT id FROM organizations WHERE slug = 'demo'`);
    const ctx = { organizationId: org!.id, actor: "cli", requestId: "cli" };
    const [task] = await query<{ id: string }>(
      api.db.db,
      `SELECT id FROM tasks WHERE deleted_at IS NULL AND organization_id = '${org!.id}' LIMIT 1`,
    );
    await expect(engine.softDelete("Task", ctx, task!.id, { reason: "r".repeat(11) })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
      details: { field: "reason" },
    });
  });

  test("a cascaded operation's reason is stored once in the audit trail, not once per row", async () => {
    const project = await projectWithTasks(api, 30, "text");
    const reason = "r".repeat(100);
    const op = (await must(api, SOFT_DELETE, { id: project, r: reason })).softDelete.operationId as string;
    const [stored] = await query<{ entries: number; chars: number }>(
      api.db.db,
      `SELECT count(*)::int AS entries, coalesce(sum(length(reason)), 0)::int AS chars FROM audit_log WHERE operation_id = '${op}'`,
    );
    expect(stored).toEqual({ entries: 31, chars: 100 });
    // Readers still see the operation's reason on every entry.
    const log = await must(
      api,
      `query($op: ID!) { auditLog(operationId: $op, first: 100) { edges { node { reason } } } }`,
      {
        op,
      },
    );
    expect(log.auditLog.edges.length).toBe(31);
    expect(log.auditLog.edges.every((e: { node: { reason: string } }) => e.node.reason === reason)).toBe(true);
  });
});
