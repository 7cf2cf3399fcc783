import { afterAll, beforeAll, expect, test } from "vitest";
import { EngineError } from "../../src/engine/errors.js";
import { openTestDatabase, type TestDatabase } from "../support/db.js";
import { makeEngine, newTenant, seedTree } from "../support/fixtures.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(() => db?.close());

test("re-parenting a comment under its own reply (a cycle) is refused with BAD_USER_INPUT and changes nothing", async () => {
  const engine = makeEngine(db.db);
  const ctx = await newTenant(db.db);
  const { comment, reply } = await seedTree(engine, ctx);
  const nested = await engine.create("Comment", ctx, { taskId: comment.taskId, parentId: reply.id, body: "nested" });
  for (const parentId of [nested.id, reply.id, comment.id]) {
    const err = await engine.update("Comment", ctx, comment.id, { parentId }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe("BAD_USER_INPUT");
    expect((err as EngineError).details.field).toBe("parentId");
  }
  expect((await engine.find("Comment", ctx, comment.id))!.parentId).toBeNull();
  // Moving a reply under a sibling is fine.
  const moved = await engine.update("Comment", ctx, nested.id, { parentId: comment.id });
  expect(moved.parentId).toBe(comment.id);
});
