/**
 * Reads from a streaming replica: served by the replica while it keeps up, by the primary when it lags (replay
 * paused with pg_wal_replay_pause()) or fails, and never for a mutation's own reads or the reads of a request
 * that writes. The replica is a real one (scripts/topology.sh, TEST_REPLICA_URL). While replay is paused, a row
 * written on the primary is missing on the replica: which rows an answer holds shows which server gave it.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { toGlobalId } from "../../src/graphql/ids.js";
import type { ReplicaStatus } from "../../src/db/replicas.js";
import { startTestApi, type TestApi } from "../support/api.js";
import { onPostgres, query } from "../support/db.js";
import { withDatabase } from "../support/global-setup.js";
import { replicaBaseUrl } from "../support/topology.js";

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const PROJECTS = `query { projects(first: 100) { edges { node { slug } } } }`;
const slugs = (body: any): string[] => body.data.projects.edges.map((e: any) => e.node.slug);

describe.skipIf(!onPostgres || !replicaBaseUrl())(
  "reads from a streaming replica (PostgreSQL with TEST_REPLICA_URL only: needs a real streaming replica)",
  () => {
    let primary: TestApi;
    /** Reads from the replica, tolerating a lag of minutes. */
    let tolerant: TestApi;
    /** Reads from the replica only while it lags less than 2 s. */
    let strict: TestApi;
    /** Its replica URL answers nothing. */
    let broken: TestApi;
    let replica: pg.Client;
    const run = randomBytes(3).toString("hex");

    const served = (api: TestApi) => api.db.replicas!.status()[0]!.served;
    const readyz = async (api: TestApi) =>
      (await (await fetch(new URL("/readyz", api.url))).json()) as { status: string; replicas: ReplicaStatus[] };
    const createProject = (api: TestApi, slug: string) =>
      api.http(`mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }`, {
        i: { slug, name: slug },
      });
    /** Waits until the replica has replayed everything the primary committed so far. */
    const caughtUp = async () => {
      const [{ lsn }] = (await query<{ lsn: string }>(primary.db.db, `SELECT pg_current_wal_lsn()::text AS lsn`)) as [
        { lsn: string },
      ];
      await until(
        async () => (await replica.query(`SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok`, [lsn])).rows[0].ok,
        (ok) => ok === true,
        "the replica to replay",
      );
    };

    beforeAll(async () => {
      primary = await startTestApi();
      const database = new URL(primary.db.directUrl!).pathname.slice(1);
      const replicaUrl = withDatabase(replicaBaseUrl()!, database);
      // The test database reaches the replica by streaming, like any other change.
      replica = await until(
        async () => {
          const client = new pg.Client({ connectionString: replicaUrl });
          client.on("error", () => {});
          return client.connect().then(
            () => client,
            () => client.end().then(() => undefined),
          );
        },
        (c) => c !== undefined,
        "the test database on the replica",
      ).then((c) => c!);
      const replicas = (maxLagMs: number, urls = [replicaUrl]) => ({ urls, maxLagMs, checkIntervalMs: 100 });
      tolerant = await startTestApi({ join: primary, maxBatch: 2, replicas: replicas(600_000) });
      strict = await startTestApi({ join: primary, replicas: replicas(2000) });
      broken = await startTestApi({
        join: primary,
        replicas: replicas(600_000, [withDatabase("postgres://postgres@127.0.0.1:1/", database)]),
      });
      for (const api of [tolerant, strict])
        await until(
          () => readyz(api),
          (r) => r.replicas[0]!.state === "healthy",
          "a healthy replica",
        );
    });

    afterAll(async () => {
      await replica?.query(`SELECT pg_wal_replay_resume()`).catch(() => {});
      await replica?.end();
      for (const api of [broken, strict, tolerant]) await api?.close();
      await primary?.close();
    });

    test("lists, relations and node are read from the replica: a row it has not replayed yet is not in the answer", async () => {
      expect((await createProject(primary, `seen-${run}`)).body.errors).toBeUndefined();
      await caughtUp();
      await replica.query(`SELECT pg_wal_replay_pause()`);
      await until(
        async () => (await replica.query(`SELECT pg_get_wal_replay_pause_state() AS s`)).rows[0].s,
        (s) => s === "paused",
        "replay to pause",
      );
      const created = await createProject(primary, `unseen-${run}`);
      const unseenId: string = created.body.data!.createProject.id;

      const before = served(tolerant);
      const list = await tolerant.http(PROJECTS);
      expect(slugs(list.body)).toContain(`seen-${run}`);
      expect(slugs(list.body)).not.toContain(`unseen-${run}`);
      const node = await tolerant.http(`query($id: ID!) { node(id: $id) { id } }`, { id: unseenId });
      expect(node.body).toEqual({ data: { node: null } });
      expect(served(tolerant)).toBeGreaterThan(before);
      // The same reads on the primary see the row.
      expect(slugs((await primary.http(PROJECTS)).body)).toContain(`unseen-${run}`);
    });

    test("a mutation reads its own writes, and so does a query sent after it in the same request", async () => {
      // Replay is still paused: the replica has neither project nor task.
      const [{ id: projectId }] = (await query<{ id: string }>(
        primary.db.db,
        `SELECT id FROM projects WHERE slug = 'unseen-${run}'`,
      )) as [{ id: string }];
      const before = served(tolerant);
      const res = await fetch(tolerant.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: await tolerant.auth("EDITOR") },
        body: JSON.stringify([
          {
            query: `mutation($i: CreateTaskInput!) { createTask(input: $i) { title project { slug tasks { totalCount } } } }`,
            variables: { i: { projectId: toGlobalId("Project", projectId), title: "mine" } },
          },
          { query: PROJECTS },
        ]),
      });
      const [mutation, list] = (await res.json()) as any[];
      expect(mutation).toEqual({
        data: { createTask: { title: "mine", project: { slug: `unseen-${run}`, tasks: { totalCount: 1 } } } },
      });
      expect(slugs(list)).toContain(`unseen-${run}`);
      expect(served(tolerant)).toBe(before);
    });

    test("a replica lagging beyond REPLICA_MAX_LAG_MS is skipped until it catches up; /readyz says so", async () => {
      const lagging = await until(
        () => readyz(strict),
        (r) => r.replicas[0]!.state === "lagging",
        "the replica to be reported lagging",
      );
      expect(lagging.status).toBe("ready");
      expect(lagging.replicas[0]!.lagMs).toBeGreaterThan(2000);

      const before = served(strict);
      expect(slugs((await strict.http(PROJECTS)).body)).toContain(`unseen-${run}`);
      expect(served(strict)).toBe(before);

      await replica.query(`SELECT pg_wal_replay_resume()`);
      await until(
        () => readyz(strict),
        (r) => r.replicas[0]!.state === "healthy",
        "the replica to be healthy again",
      );
      expect(slugs((await strict.http(PROJECTS)).body)).toContain(`unseen-${run}`);
      expect(served(strict)).toBeGreaterThan(before);
    });

    test("an unreachable replica is skipped: the primary serves, and the instance stays ready", async () => {
      const report = await until(
        () => readyz(broken),
        (r) => r.replicas[0]!.state === "failing",
        "the replica to be reported failing",
      );
      expect(report).toMatchObject({ status: "ready", replicas: [{ name: expect.stringContaining(":1/") }] });
      expect(report.replicas[0]!.error).toBeTruthy();
      expect(slugs((await broken.http(PROJECTS)).body)).toContain(`unseen-${run}`);
      expect(served(broken)).toBe(0);
    });
  },
);
