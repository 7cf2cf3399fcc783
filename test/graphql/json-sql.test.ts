/**
 * The read compiler's SQL encoders print exactly what Node prints: global ids (base64url of "Type:uuid") for type
 * names of every length around base64's 76-character line break, and cursors for timestamps of every precision.
 */
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { pgTable, timestamp, uuid } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { encodeCursor } from "../../src/engine/read.js";
import { rows } from "../../src/engine/sql.js";
import { cursorSql, globalIdSql } from "../../src/graphql/compile/json-sql.js";
import { toGlobalId, type NodeType } from "../../src/graphql/ids.js";
import { openTestDatabase, type TestDatabase } from "../support/db.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(() => db.close());

/** A VALUES row named like a table, so the encoders get drizzle columns. */
const v = pgTable("v", { id: uuid("id").notNull(), createdAt: timestamp("created_at", { withTimezone: true }) });

describe("json-sql encoders", () => {
  test("global ids match toGlobalId for type names of 1 to 40 characters (inputs across the 57-byte line break)", async () => {
    for (let length = 1; length <= 40; length++) {
      const type = "T".padEnd(length, "x") as NodeType;
      const id = randomUUID();
      const [row] = await rows<{ g: string }>(
        db.db,
        sql`SELECT ${globalIdSql(type, v.id)} AS g FROM (VALUES (${id}::uuid)) AS v(id)`,
      );
      expect(row!.g, type).toBe(toGlobalId(type, id));
    }
  });

  test("cursors match encodeCursor for timestamps with 0 to 6 fractional digits", async () => {
    for (const at of [
      "2026-12-05 00:52:28+00",
      "2026-12-05 00:52:28.1+00",
      "2026-12-05 00:52:28.12+00",
      "2026-12-05 00:52:28.123+00",
      "2026-12-05 00:52:28.1234+00",
      "2026-12-05 00:52:28.12345+00",
      "2026-12-05 00:52:28.123456+00",
    ]) {
      const id = randomUUID();
      const [row] = await rows<{ c: string; at: string }>(
        db.db,
        sql`SELECT ${cursorSql(v.createdAt, v.id)} AS c, v.created_at::text AS at
            FROM (VALUES (${id}::uuid, ${at}::timestamptz)) AS v(id, created_at)`,
      );
      expect(row!.c, at).toBe(encodeCursor({ at: row!.at, id }));
    }
  });
});
