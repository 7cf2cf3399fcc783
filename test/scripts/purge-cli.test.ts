/**
 * `npm run purge`, driven through its `main` on both databases: usage errors, a dry run that changes nothing,
 * the real run, the summary, and the progress bar on a terminal.
 */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { main } from "../../scripts/purge.js";
import { DB_KIND, query } from "../support/db.js";
import { buildProject, makeEngine, newTenant } from "../support/fixtures.js";
import { ageOperation } from "../support/retention.js";
import { capture, useScriptDatabase } from "../support/script.js";

describe("npm run purge: usage", () => {
  it("refuses unknown options and types with exit code 2, and prints usage on --help", async () => {
    const bogus = capture();
    expect(await main(["--bogus"], {}, bogus.out)).toBe(2);
    expect(bogus.lines.stderr[0]).toMatch(/usage: npm run purge/);
    const type = capture();
    expect(await main(["--type", "Nope"], {}, type.out)).toBe(2);
    expect(type.lines.stderr[0]).toContain("--type must be one of User, Project, Task, Comment, TaskAssignment");
    const help = capture();
    expect(await main(["--help"], {}, help.out)).toBe(0);
    expect(help.lines.stdout).toEqual(["usage: npm run purge -- [--dry-run] [--type <entity type>]"]);
  });

  it("reports a bad setting with exit code 1, before touching the database", async () => {
    const bad = capture();
    expect(await main([], { PURGE_BATCH_SIZE: "0", DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" }, bad.out)).toBe(
      1,
    );
    expect(bad.lines.stderr[0]).toContain("PURGE_BATCH_SIZE");
  });
});

describe(`npm run purge on ${DB_KIND}`, () => {
  const database = useScriptDatabase({ env: { PURGE_BATCH_SIZE: "1" } });

  it("a dry run says what would go and changes nothing; the real run purges it; then nothing is left", async () => {
    let h = await database.open();
    const engine = makeEngine(h.db);
    const ctx = await newTenant(h.db);
    for (let i = 0; i < 2; i++) {
      const built = await buildProject(engine, ctx, 1);
      const { operationId } = await engine.softDelete("Project", ctx, built.project.id);
      await ageOperation(h.db, operationId, 100);
    }
    await database.done(h);

    const dry = capture();
    expect(await main(["--dry-run"], database.env, dry.out)).toBe(0);
    expect(dry.lines.stdout).toEqual([
      expect.stringMatching(
        /^dry run: would purge 10 rows \(TaskAssignment 2, Comment 4, Task 2, Project 2\) in 2 batch\(es\), [\d.]+ s$/,
      ),
    ]);
    h = await database.open();
    expect(await query(h.db, `SELECT id FROM projects`)).toHaveLength(2);
    await database.done(h);

    const real = capture();
    expect(await main([], database.env, real.out)).toBe(0);
    expect(real.lines.stdout[0]).toMatch(
      /^purged 10 rows \(TaskAssignment 2, Comment 4, Task 2, Project 2\) in 2 batch\(es\), [\d.]+ s; audit operation [0-9a-f-]{36}$/,
    );
    h = await database.open();
    expect(await query(h.db, `SELECT id FROM projects`)).toHaveLength(0);
    const [audit] = await query<{ n: number }>(
      h.db,
      `SELECT count(*)::int AS n FROM audit_log a JOIN actors ac ON ac.id = a.actor_id WHERE a.action = 'PURGE' AND ac.subject = 'system:retention'`,
    );
    expect(audit!.n).toBe(10);
    await database.done(h);

    const again = capture();
    expect(await main(["--type", "Task"], database.env, again.out)).toBe(0);
    expect(again.lines.stdout).toEqual(["nothing to purge"]);
  });

  it("draws a progress bar on a terminal, and stops between batches when told to", async () => {
    const h = await database.open();
    const engine = makeEngine(h.db);
    const ctx = await newTenant(h.db);
    for (let i = 0; i < 3; i++) {
      const built = await buildProject(engine, ctx, 1);
      const { operationId } = await engine.softDelete("Project", ctx, built.project.id);
      await ageOperation(h.db, operationId, 100);
    }
    await database.done(h);
    const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
    let drawn = "";
    terminal.on("data", (chunk: Buffer) => (drawn += chunk.toString()));
    const abort = new AbortController();
    const run = capture(terminal);
    // Stopped once the first batch committed.
    terminal.once("data", () => abort.abort());
    expect(await main([], database.env, run.out, abort.signal)).toBe(130);
    expect(drawn).toMatch(/purging Project \|.*\| 1\/3 roots \| 5 rows/);
    expect(run.lines.stderr[0]).toContain("interrupted after 1 batch(es)");
    const rest = capture();
    expect(await main([], database.env, rest.out)).toBe(0);
    expect(rest.lines.stdout[0]).toMatch(/^purged 10 rows/);
  });
});
