/**
 * Connection abuse (issue 11, item 5): slow or idle HTTP sockets are closed after the configured timeouts
 * (Node's defaults let them live about 90 s), a WebSocket that never authenticates is closed, one client address
 * cannot hold more than its share of WebSockets, and an error thrown inside a subscription's stream reaches the
 * client masked, as over HTTP. The limits are set small here so that each close happens during the test; before
 * the fix each of these sockets outlived the test's timeout.
 */
import { connect, type Socket } from "node:net";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestApi, type TestApi } from "../support/api.js";
import { must } from "../support/graph.js";
import { wsClient, wsUrl } from "../support/ws.js";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({
    runner: false,
    app: {
      connections: {
        headersTimeoutMs: 1000,
        requestTimeoutMs: 2000,
        keepAliveTimeoutMs: 500,
        maxSocketsPerAddress: 3,
        connectionInitTimeoutMs: 500,
      },
    },
  });
});
afterAll(() => api?.close());

/** A raw TCP socket to the server, with everything it received once the server closed it. */
async function rawSocket(): Promise<{ socket: Socket; closed: Promise<string> }> {
  const { hostname, port } = new URL(api.url);
  const socket = connect(Number(port), hostname);
  await new Promise((r, j) => socket.once("connect", r).once("error", j));
  let received = "";
  socket.on("data", (d) => (received += d.toString()));
  const closed = new Promise<string>((r) => socket.once("close", () => r(received)));
  return { socket, closed };
}

describe("HTTP timeouts", () => {
  test("headers sent one by one, never finished (slowloris): the server answers 408 and closes", async () => {
    const { socket, closed } = await rawSocket();
    socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n");
    const keepSending = setInterval(() => socket.writable && socket.write("X-Slow: 1\r\n"), 100);
    try {
      expect(await closed).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(keepSending);
    }
  });

  test("a socket that never sends a request is closed", async () => {
    const { closed } = await rawSocket();
    await closed;
  });

  test("a kept-alive socket idle after its response is closed", async () => {
    const { socket, closed } = await rawSocket();
    socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n");
    expect(await closed).toMatch(/^HTTP\/1\.1 200[\s\S]*\{"status":"ok"\}/);
  });
});

describe("WebSocket caps", () => {
  test("a socket that never sends connection_init is closed with 4408", async () => {
    const ws = new WebSocket(wsUrl(api.url), "graphql-transport-ws");
    const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    await new Promise((r, j) => ws.once("open", r).once("error", j));
    expect(await closed).toBe(4408);
  });

  test("one client address holds at most WS_MAX_SOCKETS_PER_ADDRESS sockets; a closed one frees its place", async () => {
    const token = await api.auth();
    const open = () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(wsUrl(api.url), "graphql-transport-ws");
        ws.once("open", () => {
          // Authenticated, so the connection_init deadline does not close it during the test.
          ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: token } }));
          ws.once("message", () => resolve(ws));
        });
        ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
        ws.once("error", reject);
      });
    const sockets = [await open(), await open(), await open()];
    try {
      await expect(open()).rejects.toThrow("HTTP 429");
      const first = sockets.shift()!;
      await new Promise((r) => {
        first.once("close", r);
        first.close();
      });
      // The server counts the socket free once its TCP connection is gone.
      for (let attempt = 0; ; attempt++) {
        const again = await open().catch((err: Error) => err);
        if (again instanceof WebSocket) {
          sockets.push(again);
          break;
        }
        expect(again.message).toBe("HTTP 429");
        if (attempt > 50) throw new Error("the closed socket's place was never freed");
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      for (const ws of sockets) ws.terminate();
    }
  });
});

describe("errors inside a subscription stream", () => {
  test("a database error on a later read of bulkOperationProgress reaches the client masked, without SQL", async () => {
    const task = (await must(api, `{ tasks(first: 1) { edges { node { id } } } }`)).tasks.edges[0].node.id;
    const queued = await must(api, `mutation($ids: [ID!]) { bulkSoftDelete(ids: $ids) { id } }`, { ids: [task] });
    const id = queued.bulkSoftDelete.id as string;
    const { client } = wsClient(api.url, await api.auth());
    const results: any[] = [];
    let failWith: ((err: unknown) => void) | undefined;
    const ended = new Promise<void>((resolve) => {
      client.subscribe(
        { query: `subscription($id: ID!) { bulkOperationProgress(id: $id) { status processed } }`, variables: { id } },
        {
          next: (r) => {
            results.push(r);
            failWith?.(r);
          },
          error: (e) => {
            results.push({ transportError: e });
            resolve();
          },
          complete: () => resolve(),
        },
      );
    });
    const first = new Promise((r) => (failWith = r));
    await first;
    failWith = undefined;
    // The next read of the operation row fails as a broken statement would, SQL and parameters in its message.
    const db = api.engine.db as unknown as { select: (...a: unknown[]) => unknown };
    const select = db.select;
    db.select = () => {
      throw new Error('Failed query: SELECT * FROM "bulk_operations" WHERE id = $1 params: hunter2');
    };
    try {
      await api.services.bulk.events.publish(id);
      await ended;
    } finally {
      db.select = select;
      await client.dispose();
    }
    expect(results[0].data.bulkOperationProgress.status).toBe("PENDING");
    const last = results.at(-1);
    expect(last.errors[0]).toMatchObject({
      message: "Unexpected error.",
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    });
    expect(JSON.stringify(results)).not.toMatch(/SELECT|hunter2|bulk_operations/);
  });
});
