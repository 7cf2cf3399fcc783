/**
 * Every error code of the contract, produced through the API, with nothing changed by a failed mutation.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestApi, type TestApi } from "../support/api.js";
import { query } from "../support/db.js";
import { codeOf, type Graph, must, useGraphApi } from "../support/graph.js";

let api: TestApi;
let g: Graph;
useGraphApi((opened) => ({ api, g } = opened));

const softDelete = `mutation($id: ID!, $reason: String) { softDelete(id: $id, reason: $reason) { operationId cascaded { type count } node { id isDeleted } } }`;
const restore = `mutation($id: ID!, $anc: Boolean) { restore(id: $id, withAncestors: $anc) { operationId cascaded { type count } node { id isDeleted } } }`;

async function auditCount() {
  const [r] = await query<{ n: number }>(api.db.db, "SELECT count(*)::int AS n FROM audit_log");
  return r!.n;
}

describe("BAD_USER_INPUT", () => {
  test("invalid email names the field and creates nothing", async () => {
    const before = await auditCount();
    const r = await api.exec(`mutation { createUser(input: { email: "not-an-email", name: "X" }) { id } }`);
    expect(codeOf(r)).toBe("BAD_USER_INPUT");
    expect(r.errors![0]!.extensions!.field).toBe("email");
    expect(await auditCount()).toBe(before);
  });

  test("an empty name, a bad slug and a bad status name their fields", async () => {
    const cases: [string, string][] = [
      [`mutation { createUser(input: { email: "ok@x.test", name: "" }) { id } }`, "name"],
      [`mutation { createProject(input: { slug: "Bad Slug!", name: "x" }) { id } }`, "slug"],
      [`mutation($p: ID!) { createTask(input: { projectId: $p, title: "t", status: "SOMEDAY" }) { id } }`, "status"],
    ];
    for (const [q, field] of cases) {
      const r = await api.exec(q, { p: g.project });
      expect(codeOf(r)).toBe("BAD_USER_INPUT");
      expect(r.errors![0]!.extensions!.field).toBe(field);
    }
  });

  test("an id of the wrong type, or not an id at all, names the field", async () => {
    const wrongType = await api.exec(`mutation($p: ID!) { createTask(input: { projectId: $p, title: "t" }) { id } }`, {
      p: g.liveTask,
    });
    expect(codeOf(wrongType)).toBe("BAD_USER_INPUT");
    expect(wrongType.errors![0]!.extensions!.field).toBe("projectId");
    const garbage = await api.exec(softDelete, { id: "definitely-not-an-id" });
    expect(codeOf(garbage)).toBe("BAD_USER_INPUT");
    expect(garbage.errors![0]!.extensions!.field).toBe("id");
  });

  test("first above 100 and a forged cursor are rejected", async () => {
    expect(codeOf(await api.exec(`{ users(first: 101) { totalCount } }`))).toBe("BAD_USER_INPUT");
    expect(codeOf(await api.exec(`{ users(first: 5, after: "bm9wZQ") { totalCount } }`))).toBe("BAD_USER_INPUT");
  });

  test("an unknown field or a syntax error carries Apollo's code, over HTTP with status 400", async () => {
    const r = await api.http(`{ users { nope } }`);
    expect(r.status).toBe(400);
    expect(codeOf(r.body)).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(codeOf((await api.http(`{ users {`)).body)).toBe("GRAPHQL_PARSE_FAILED");
  });
});

describe("NOT_FOUND", () => {
  test("an unknown id and another organization's id give the same NOT_FOUND", async () => {
    const acme = await api.auth("ADMIN", "acme");
    const foreign = await must(api, `{ projects(first: 1) { edges { node { id } } } }`, undefined, acme);
    const foreignId = foreign.projects.edges[0].node.id;
    const missing = Buffer.from("Project:00000000-0000-4000-8000-000000000000").toString("base64url");
    const a = await api.exec(softDelete, { id: foreignId });
    const b = await api.exec(softDelete, { id: missing });
    expect(codeOf(a)).toBe("NOT_FOUND");
    expect(codeOf(b)).toBe("NOT_FOUND");
    expect(Object.keys(a.errors![0]!.extensions!).sort()).toEqual(Object.keys(b.errors![0]!.extensions!).sort());
    expect(
      (await api.exec(`query($id: ID!) { node(id: $id, includeDeleted: true) { id } }`, { id: foreignId })).data,
    ).toEqual({ node: null });
    // The foreign row is untouched.
    const still = await must(api, `query($id: ID!) { node(id: $id) { id } }`, { id: foreignId }, acme);
    expect(still.node.id).toBe(foreignId);
  });
});

describe("soft-delete state errors", () => {
  test("ALREADY_DELETED, NOT_DELETED, and updating a deleted row", async () => {
    expect(codeOf(await api.exec(softDelete, { id: g.deletedTask }))).toBe("ALREADY_DELETED");
    expect(codeOf(await api.exec(restore, { id: g.liveTask }))).toBe("NOT_DELETED");
    const upd = await api.exec(`mutation($id: ID!) { updateTask(id: $id, input: { title: "x" }) { id } }`, {
      id: g.deletedTask,
    });
    expect(codeOf(upd)).toBe("ALREADY_DELETED");
    const hard = await api.exec(`mutation($id: ID!) { hardDelete(id: $id) { deletedId } }`, { id: g.liveTask });
    expect(codeOf(hard)).toBe("NOT_DELETED");
  });

  test("CONFLICT: a duplicate live email, and restoring a user whose email was taken meanwhile", async () => {
    const dup = await api.exec(`mutation { createUser(input: { email: "ada@demo.test", name: "Copy" }) { id } }`);
    expect(codeOf(dup)).toBe("CONFLICT");
    expect(dup.errors![0]!.extensions!.key).toEqual(["email"]);
    // The deleted user's email is free for a new live user...
    const goneEmail = (
      await must(api, `query($id: ID!) { user(id: $id, includeDeleted: true) { email } }`, { id: g.goneUser })
    ).user.email;
    await must(api, `mutation($e: String!) { createUser(input: { email: $e, name: "Successor" }) { id } }`, {
      e: goneEmail,
    });
    // ...and restoring the old one then conflicts, changing nothing.
    const before = await auditCount();
    const r = await api.exec(restore, { id: g.goneUser });
    expect(codeOf(r)).toBe("CONFLICT");
    expect(r.errors![0]!.extensions!.key).toEqual(["email"]);
    expect(await auditCount()).toBe(before);
    expect(
      (await must(api, `query($id: ID!) { user(id: $id, includeDeleted: true) { isDeleted } }`, { id: g.goneUser }))
        .user.isDeleted,
    ).toBe(true);
  });

  test("PARENT_DELETED: creating under, or restoring a child of, a deleted parent", async () => {
    const create = await api.exec(`mutation($t: ID!) { createComment(input: { taskId: $t, body: "late" }) { id } }`, {
      t: g.deletedTask,
    });
    expect(codeOf(create)).toBe("PARENT_DELETED");
    const p = await must(api, `mutation { createProject(input: { slug: "pd", name: "pd" }) { id } }`);
    const t = await must(api, `mutation($p: ID!) { createTask(input: { projectId: $p, title: "t" }) { id } }`, {
      p: p.createProject.id,
    });
    await must(api, softDelete, { id: t.createTask.id });
    await must(api, softDelete, { id: p.createProject.id });
    expect(codeOf(await api.exec(restore, { id: t.createTask.id }))).toBe("PARENT_DELETED");
    const both = await must(api, restore, { id: t.createTask.id, anc: true });
    expect(both.restore.node.isDeleted).toBe(false);
    expect(both.restore.cascaded).toEqual([{ type: "Project", count: 1 }]);
  });
});

describe("RESTRICTED", () => {
  let strict: TestApi;
  beforeAll(async () => {
    strict = await startTestApi({ engine: { cascade: false } });
  });
  afterAll(() => strict.close());

  test("with CASCADE_SOFT_DELETE off, deleting a project with live tasks names the relation and count", async () => {
    const p = (await strict.exec(`{ projects(first: 1) { edges { node { id tasks { totalCount } } } } }`)).data as any;
    const project = p.projects.edges[0].node;
    const r = await strict.exec(softDelete, { id: project.id });
    expect(codeOf(r)).toBe("RESTRICTED");
    expect(r.errors![0]!.extensions).toMatchObject({ relation: "Project.tasks", count: project.tasks.totalCount });
  });
});

describe("INTERNAL_SERVER_ERROR", () => {
  test("an unexpected failure is masked: no SQL, no stack, no parameters reach the client", async () => {
    const original = api.engine.findMany.bind(api.engine);
    api.engine.findMany = async () => {
      throw new Error('Failed query: SELECT * FROM "users" WHERE secret = $1 params: hunter2');
    };
    try {
      // `viewer` is not compiled, so the resolvers (and the failing findMany) answer; the read compiler never raises
      // errors of its own (a failing compiled statement falls back to the resolvers).
      const r = await api.http(`query($id: ID!) { viewer { role } task(id: $id) { id } }`, { id: g.liveTask });
      expect(codeOf(r.body)).toBe("INTERNAL_SERVER_ERROR");
      const text = JSON.stringify(r.body);
      expect(r.body.errors![0]!.message).toBe("Unexpected error.");
      expect(text).not.toMatch(/SELECT|hunter2|stack|at .*\.ts/);
    } finally {
      api.engine.findMany = original;
    }
  });
});
