/**
 * Which statements and requests may be served by a replica: the rules, without a database (the replica tests in
 * replicas.test.ts show them on a real streaming replica).
 */
import { describe, expect, test } from "vitest";
import { classify } from "../../src/db/replicas.js";
import { onlyQueries } from "../../src/server/read-routing.js";

describe("statements", () => {
  test.each([
    [`select "id", "title" from "tasks" where "organization_id" = $1`, "read"],
    [`WITH page AS (SELECT id FROM tasks) SELECT * FROM page`, "read"],
    [`(select 1) union (select 2)`, "read"],
    [`SELECT relname, n_dead_tup FROM pg_stat_user_tables`, "primary"],
    [`insert into "actors" ("subject") values ($1) returning "id"`, "write"],
    [`UPDATE bulk_operations SET status = $1`, "write"],
    [`WITH moved AS (DELETE FROM detachments RETURNING *) SELECT count(*) FROM moved`, "write"],
    [`SELECT * FROM tasks WHERE id = $1 FOR UPDATE`, "write"],
    [`SELECT id FROM projects FOR NO KEY UPDATE`, "write"],
    [`SELECT id FROM projects WHERE id = $1 FOR SHARE`, "write"],
    [`SELECT pg_notify($1, $2)`, "write"],
    [`SELECT pg_try_advisory_lock($1)`, "write"],
    [`SELECT nextval('s')`, "write"],
    [`BEGIN`, "write"],
    [`SET LOCAL app.tenant = 'x'`, "write"],
    // Column names that merely contain a keyword are reads.
    [`select "updated_at", "deleted_by", "inserted" from "tasks"`, "read"],
  ])("%s → %s", (text, kind) => {
    expect(classify(text)).toBe(kind);
  });
});

describe("requests", () => {
  test.each([
    [`{ projects { totalCount } }`, true],
    [`query Q($id: ID!) { node(id: $id) { id } }`, true],
    [`mutation { softDelete(id: "x") { operationId } }`, false],
    [`subscription { bulkOperationProgress(id: "x") { status } }`, false],
    // Errs towards the primary: the word anywhere.
    [`{ tasks(filter: "mutation") { totalCount } }`, false],
    [undefined, false],
    ["", false],
  ])("%s → stale reads allowed: %s", (query, allowed) => {
    expect(onlyQueries(query)).toBe(allowed);
  });
});
