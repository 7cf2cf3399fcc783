/**
 * Shutdown drains what is in flight and waits for nothing else: a request being served completes with its
 * answer, a bulk batch being run commits, while an idle keep-alive connection is closed at once instead of
 * being waited for. The grace period is 10 minutes here, so a close that ends proves it ended by draining.
 */
import { connect as tcp } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestApi, type TestApi } from "../support/api.js";
import { must } from "../support/graph.js";

function gate() {
  let open!: () => void;
  let entered!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const reached = new Promise<void>((r) => (entered = r));
  return { open, opened, entered, reached };
}

/** Settles `p` into a flag that can be read synchronously. */
function track(p: Promise<unknown>) {
  const state = { done: false };
  void p.then(() => (state.done = true));
  return state;
}

const turns = (n = 20) => new Promise((r) => setTimeout(r, n));

describe("shutdown", () => {
  let api: TestApi;
  const inRequest = gate();
  const inBatch = gate();
  let holdBatches = false;

  beforeAll(async () => {
    api = await startTestApi({
      bulk: {
        batchSize: 1,
        beforeBatch: async () => {
          if (!holdBatches) return;
          inBatch.entered();
          await inBatch.opened;
        },
      },
      app: { shutdownTimeoutMs: 600_000 },
    });
  });
  afterAll(() => api.close());

  test("a bulk batch being run commits before the runner stops; the operation stays resumable", async () => {
    const p = (await must(api, `mutation { createProject(input: { slug: "shutdown", name: "s" }) { id } }`))
      .createProject.id;
    for (let i = 0; i < 3; i++)
      await must(api, `mutation($p: ID!) { createTask(input: { projectId: $p, title: "t" }) { id } }`, { p });
    holdBatches = true;
    const op = (
      await must(api, `mutation($p: ID!) { bulkSoftDelete(filter: { type: Task, projectId: $p }) { id } }`, { p })
    ).bulkSoftDelete.id;
    await inBatch.reached;
    const stopping = track(api.services.runner.stop());
    await turns(200);
    expect(stopping.done).toBe(false);
    inBatch.open();
    await api.services.runner.stop();
    const after = (await must(api, `query($id: ID!) { bulkOperation(id: $id) { status processed } }`, { id: op }))
      .bulkOperation;
    // The batch in progress committed (one row: batches of 1); the rest waits for the next instance.
    expect(after).toEqual({ status: "RUNNING", processed: 1 });
    holdBatches = false;
  });

  test("an in-flight request completes and an idle keep-alive connection is closed without waiting", async () => {
    const maintenance = api.services.maintenance;
    const original = maintenance.healthReport.bind(maintenance);
    maintenance.healthReport = async () => {
      inRequest.entered();
      await inRequest.opened;
      return original();
    };
    const { port } = new URL(api.url);
    // An idle keep-alive connection: one request answered, then nothing.
    const idle = tcp(Number(port), "127.0.0.1");
    const idleClosed = new Promise<void>((r) => idle.once("close", () => r()));
    let answered = "";
    idle.on("data", (d) => (answered += d));
    idle.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n");
    while (!answered.includes("\r\n\r\n")) await turns(5);
    expect(answered).toMatch(/^HTTP\/1\.1 200/);

    const slow = api.http("{ healthReport { durationMs } }");
    await inRequest.reached;
    const closing = track(api.app.close());
    const idleState = track(idleClosed);
    // The idle connection goes while the request is still being served...
    await idleClosed;
    expect(idleState.done).toBe(true);
    await turns(200);
    expect(closing.done).toBe(false);
    // ...and the request still gets its answer, after which close() resolves.
    inRequest.open();
    const { status, body } = await slow;
    expect(status).toBe(200);
    expect(body.data?.healthReport.durationMs).toBeGreaterThanOrEqual(0);
    await api.app.close();
    expect(closing.done).toBe(true);
  });
});
