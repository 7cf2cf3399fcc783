/** The lint rule that keeps the soft-delete visibility conditions in src/engine/visibility.ts. */
import { Linter } from "eslint";
import { expect, test } from "vitest";
import rule from "../../eslint-rules/visibility-in-one-place.js";

const linter = new Linter({ configType: "flat" });
const problems = (code: string) =>
  linter.verify(code, [
    {
      plugins: { softdelete: { rules: { "visibility-in-one-place": rule as never } } },
      rules: { "softdelete/visibility-in-one-place": "error" },
    },
  ]).length;

test("refuses hand-written live/deleted conditions", () => {
  expect(problems("const q = sql`SELECT id FROM t WHERE deleted_at IS NULL`;")).toBe(1);
  expect(problems('const q = "SELECT 1 FROM t WHERE \\"deleted_at\\" IS NOT NULL";')).toBe(1);
  expect(problems("const q = sql`WHERE ${c(tb.deletedAt)} IS NULL AND x`;")).toBe(1);
  expect(problems("const q = sql`WHERE p.${c(parent.table.deletedAt)} IS NOT NULL`;")).toBe(1);
  expect(problems("where(isNull(users.deletedAt));")).toBe(1);
  expect(problems("where(eq(taskAssignments.isDeleted, false));")).toBe(1);
});

test("accepts the predicates and unrelated NULL checks", () => {
  expect(problems("const q = sql`WHERE ${live(tb)} AND ${deleted(tb, 'p')}`;")).toBe(0);
  expect(problems("const q = sql`WHERE ${c(rel.column)} IS NULL`;")).toBe(0);
  expect(problems("const q = sql`SELECT min(${c(tb.deletedAt)}) AS oldest`;")).toBe(0);
  expect(problems("where(isNull(actors.erasedAt));")).toBe(0);
});
