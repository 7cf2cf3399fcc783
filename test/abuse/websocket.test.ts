/**
 * WebSocket abuse: a frame larger than the HTTP body limit is refused before it is read into memory (a 40 MB
 * connection_init used to be accepted), and a depth or cost rejection answers that one operation with an error
 * instead of closing the socket (4500). An oversized frame costs the server one log line, not a stack trace on stderr
 * (graphql-ws used to print one per socket, so a client could flood stderr).
 */
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { WS_MAX_PAYLOAD_BYTES } from "../../src/server/websocket.js";
import { startTestApi, type TestApi } from "../support/api.js";
import { recordingLogger } from "../support/log.js";
import { wsClient, wsExec, wsUrl } from "../support/ws.js";

let api: TestApi;
const { log, records } = recordingLogger();
beforeAll(async () => {
  api = await startTestApi({ limits: { maxDepth: 3, maxCost: 200_000 }, log });
});

/** Opens a socket, sends one frame over the cap (after connection_init when `auth`), and waits for its close code. */
async function oversizedFrame(auth?: string): Promise<number> {
  const ws = new WebSocket(wsUrl(api.url), "graphql-transport-ws");
  await new Promise((r, j) => ws.once("open", r).once("error", j));
  const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
  if (auth) {
    const acked = new Promise((r) => ws.once("message", r));
    ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: auth } }));
    await acked;
  }
  ws.send(JSON.stringify({ type: "connection_init", payload: { junk: "x".repeat(WS_MAX_PAYLOAD_BYTES + 1) } }));
  return closed;
}
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

  test("20 oversized frames: no stack trace on stderr, one structured log line per socket", async () => {
    const stderr = vi.spyOn(console, "error");
    const before = records.length;
    try {
      const auth = await api.auth();
      const codes = [];
      for (let i = 0; i < 20; i++) codes.push(await oversizedFrame(i % 2 ? auth : undefined));
      expect(codes).toEqual(Array(20).fill(1009));
      // The server's last line about each socket is written by the time the next request is answered.
      expect((await api.http(`{ viewer { role } }`)).status).toBe(200);
      expect(stderr).not.toHaveBeenCalled();
    } finally {
      stderr.mockRestore();
    }
    const lines = records.slice(before).filter((r) => r.msg === "websocket closed on a protocol error");
    expect(lines).toHaveLength(20);
    for (const line of lines) {
      expect(line).toMatchObject({ level: 30, code: "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH", address: "127.0.0.1" });
      expect(JSON.stringify(line)).not.toMatch(/\n\s+at /);
    }
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
