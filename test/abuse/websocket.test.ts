/**
 * WebSocket abuse: a frame larger than the HTTP body limit is refused before it is read into memory (a 40 MB
 * connection_init used to be accepted), and a depth or cost rejection answers that one operation with an error
 * instead of closing the socket (4500).
 */
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { WS_MAX_PAYLOAD_BYTES } from "../../src/server/websocket.js";
import { startTestApi, type TestApi } from "../support/api.js";
import { wsClient, wsExec, wsUrl } from "../support/ws.js";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ limits: { maxDepth: 3, maxCost: 200_000 } });
});
afterAll(() => api?.close());

describe("WebSocket limits", () => {
  test("a connection_init larger than the frame cap closes that socket with 1009, unread", async () => {
    const ws = new WebSocket(wsUrl(api.url), "graphql-transport-ws");
    await new Promise((r, j) => ws.once("open", r).once("error", j));
    const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    ws.send(JSON.stringify({ type: "connection_init", payload: { junk: "x".repeat(WS_MAX_PAYLOAD_BYTES + 1) } }));
    expect(await closed).toBe(1009);
    // The server carries on.
    expect((await api.http(`{ viewer { role } }`)).status).toBe(200);
  });

  test("a too-deep operation is answered with BAD_USER_INPUT; the socket and its next operation carry on", async () => {
    const { client, closed } = wsClient(api.url, await api.auth());
    let closedWith: number | undefined;
    void closed.then((c) => (closedWith = c.code));
    try {
      const deep = await wsExec(client, `{ projects { edges { node { tasks { edges { node { id } } } } } } }`).catch(
        (errors) => ({ errors }),
      );
      expect(deep.errors[0].extensions.code).toBe("BAD_USER_INPUT");
      const next = await wsExec(client, `{ viewer { role } }`);
      expect(next.data.viewer.role).toBe("ADMIN");
      expect(closedWith).toBeUndefined();
    } finally {
      await client.dispose();
    }
  });
});
