/**
 * Statements outside transactions go to PostgreSQL with their tenant scope in one simple-protocol round trip, their
 * parameters inlined as literals (src/db/scoped-queries.ts). Inlining must never change what a statement means:
 * the same values give the same rows as the extended protocol's parameters, and text that looks like a parameter
 * inside quotes stays text.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { inlineParameters } from "../../src/db/scoped-queries.js";
import { onPostgres, openTestDatabase, type TestDatabase } from "../support/db.js";

describe("inlineParameters", () => {
  test("replaces $n outside quoted strings and identifiers only, $10 as itself, and refuses a missing value", () => {
    const values = Array.from({ length: 10 }, (_, i) => `v${i + 1}`);
    expect(inlineParameters(`SELECT $1, '$2', 'it''s $3', "col$4", E'\\n$5', $10, $1`, values)).toBe(
      `SELECT 'v1', '$2', 'it''s $3', "col$4", E'\\n$5', 'v10', 'v1'`,
    );
    expect(() => inlineParameters("SELECT $2", ["only one"])).toThrow(RangeError);
    expect(() => inlineParameters("SELECT $0", ["x"])).toThrow(RangeError);
  });

  test("quotes and backslashes in values cannot end the literal", () => {
    expect(inlineParameters("SELECT $1", ["a'); DROP TABLE users; --"])).toBe(`SELECT 'a''); DROP TABLE users; --'`);
    // pg's escapeLiteral writes a string holding a backslash as E'...' after a space, the backslash doubled.
    expect(inlineParameters("SELECT $1", ["back\\slash'"])).toBe(`SELECT  E'back\\\\slash'''`);
    expect(inlineParameters("SELECT $1, $2", [null, undefined])).toBe("SELECT NULL, NULL");
  });
});

describe.skipIf(!onPostgres)("inlined statements mean what parameterized ones do (PostgreSQL)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await openTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 1 });
  });
  afterAll(async () => {
    await pool.end();
    await db.close();
  });

  test("strings, numbers, booleans, dates, arrays, bytes, JSON and NULL round-trip alike", async () => {
    const cases: [string, unknown[]][] = [
      ["SELECT $1::text AS v", ["plain"]],
      ["SELECT $1::text AS v", ["it's a 'quote' and a \\ backslash and $1 and \"dq\""]],
      ["SELECT $1::text AS v", ["unicode: é ✓ 😀, newline\nand tab\t"]],
      ["SELECT $1::int AS v, $2::numeric AS w, $3::float8 AS x", [42, "12345678901234567890.5", -1.5e-7]],
      ["SELECT $1::boolean AS v, $2::boolean AS w", [true, false]],
      ["SELECT $1::timestamptz AS v", [new Date("2026-12-05T01:02:03.456Z")]],
      ["SELECT $1::uuid[] AS v", [["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"]]],
      ["SELECT $1::text[] AS v", [["a,b", 'c"d', "e\\f", "{g}", null]]],
      ["SELECT $1::bytea AS v", [Buffer.from([0, 1, 2, 39, 92, 255])]],
      ["SELECT $1::jsonb AS v", [{ a: "it's", b: [1, 2, { c: null }] }]],
      ["SELECT $1::text AS v, $2::int AS w", [null, null]],
      ["SELECT coalesce($1, 'default') AS v", ["given"]],
    ];
    for (const [text, values] of cases) {
      const parameterized = await pool.query(text, values);
      const inlined = await pool.query(inlineParameters(text, values));
      expect(inlined.rows, `${text} ${JSON.stringify(values)}`).toEqual(parameterized.rows);
    }
  });
});
