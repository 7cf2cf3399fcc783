/**
 * Many stateless instances on one PostgreSQL: an operation queued on one instance is worked by another, and a
 * subscriber on a third follows it to its terminal state (LISTEN/NOTIFY carries the events across).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestApi, type TestApi } from "../support/api.js";
import { onPostgres } from "../support/db.js";
import { must } from "../support/graph.js";
import { wsClient } from "../support/ws.js";

describe.skipIf(!onPostgres)(
  "instances sharing one database (PostgreSQL only: PGlite is one in-process database)",
  () => {
    let queueing: TestApi;
    let working: TestApi;
    let watching: TestApi;

    beforeAll(async () => {
      // Only `working` runs bulk operations; the others accept requests and serve subscriptions.
      queueing = await startTestApi({ runner: false });
      working = await startTestApi({ join: queueing, runner: false, bulk: { batchSize: 1, pauseMs: 50 } });
      watching = await startTestApi({ join: queueing, runner: false });
    });
    afterAll(async () => {
      await watching?.close();
      await working?.close();
      await queueing?.close();
    });

    test("queued on one, worked by another, followed to the end from a third", async () => {
      const tasks = await must(queueing, `{ tasks(first: 3) { edges { node { id } } } }`);
      const ids = tasks.tasks.edges.map((e: any) => e.node.id);
      const queued = await must(queueing, `mutation($ids: [ID!]) { bulkSoftDelete(ids: $ids) { id status } }`, { ids });
      const id = queued.bulkSoftDelete.id;

      const { client } = wsClient(watching.url, await watching.auth("ADMIN"));
      const events: any[] = [];
      const done = new Promise<void>((resolve, reject) =>
        client.subscribe(
          {
            query: `subscription($id: ID!) { bulkOperationProgress(id: $id) { status processed batches } }`,
            variables: { id },
          },
          {
            next: (v: any) =>
              v.errors ? reject(new Error(JSON.stringify(v.errors))) : events.push(v.data.bulkOperationProgress),
            error: reject,
            complete: resolve,
          },
        ),
      );
      while (!events.length) await new Promise((r) => setTimeout(r, 20));
      expect(events[0]).toMatchObject({ status: "PENDING", processed: 0 });

      working.services.runner.start();
      await done;
      await client.dispose();
      expect(events.at(-1)).toMatchObject({ status: "SUCCEEDED", processed: 3 });
      // Intermediate states reached the watcher although another instance did the work.
      expect(events.some((e) => e.status === "RUNNING")).toBe(true);
      const final = await must(queueing, `query($id: ID!) { bulkOperation(id: $id) { status processed } }`, { id });
      expect(final.bulkOperation).toEqual({ status: "SUCCEEDED", processed: 3 });
    });
  },
);
