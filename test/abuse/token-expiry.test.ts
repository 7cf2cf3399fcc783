/**
 * A stream lives no longer than its token: a WebSocket authenticated at connection_init is closed with 4401 when
 * the token expires (it used to live on), and an event-stream subscription ends with UNAUTHENTICATED. The expiry is
 * per socket and per request: a connection with a longer-lived token carries on.
 */
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { signToken } from "../../src/auth/token.js";
import { atTime, EXPIRED_CLOSE_REASON } from "../../src/server/token-expiry.js";
import { startTestApi, TEST_SECRET, type TestApi } from "../support/api.js";
import { must } from "../support/graph.js";
import { sseClient } from "../support/sse.js";
import { wsClient, wsExec } from "../support/ws.js";

const PROGRESS = `subscription($id: ID!) { bulkOperationProgress(id: $id) { status } }`;

let api: TestApi;
/** A bulk operation that stays PENDING (no runner): its progress subscription stays open until ended. */
let pending: string;
beforeAll(async () => {
  api = await startTestApi({ runner: false });
  const p = await must(api, `mutation { createProject(input: { slug: "expiry", name: "Expiry" }) { id } }`);
  pending = (
    await must(api, `mutation($p: ID!) { bulkSoftDelete(filter: { type: Task, projectId: $p }) { id } }`, {
      p: p.createProject.id,
    })
  ).bulkSoftDelete.id;
});
afterAll(() => api?.close());

/** An ADMIN token living 1 to 2 seconds (expiries are whole seconds), and when it expires (ms). */
async function shortToken() {
  const token = await signToken({ sub: "admin@demo.test", role: "ADMIN", org: "demo" }, TEST_SECRET, 2000);
  return { authorization: `Bearer ${token}`, expiresAt: decodeJwt(token).exp! * 1000 };
}

describe("a WebSocket", () => {
  test("is closed with 4401 when its token expires, its subscription ended; another socket carries on", async () => {
    const { authorization, expiresAt } = await shortToken();
    const { client, closed } = wsClient(api.url, authorization);
    const long = wsClient(api.url, await api.auth());
    try {
      expect((await wsExec(client, `{ viewer { role } }`)).data.viewer.role).toBe("ADMIN");
      const events: unknown[] = [];
      const ended = new Promise<unknown>((resolve) =>
        client.subscribe(
          { query: PROGRESS, variables: { id: pending } },
          { next: (v) => void events.push(v), error: resolve, complete: () => resolve("complete") },
        ),
      );
      const { code, reason } = await closed;
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
      expect({ code, reason }).toEqual({ code: 4401, reason: EXPIRED_CLOSE_REASON });
      await ended;
      expect(events).toEqual([{ data: { bulkOperationProgress: { status: "PENDING" } } }]);
      expect((await wsExec(long.client, `{ viewer { role } }`)).data.viewer.role).toBe("ADMIN");
    } finally {
      await client.dispose();
      await long.client.dispose();
    }
  });
});

describe.each([
  ["distinct connections", false],
  ["a single connection", true],
])("an event stream over %s", (_mode, single) => {
  test("ends its subscription with UNAUTHENTICATED when the request's token expires", async () => {
    const { authorization, expiresAt } = await shortToken();
    const client = sseClient(api.url, authorization, single);
    try {
      const results = await new Promise<any[]>((resolve, reject) => {
        const seen: any[] = [];
        client.subscribe(
          { query: PROGRESS, variables: { id: pending } },
          { next: (v) => void seen.push(v), error: reject, complete: () => resolve(seen) },
        );
      });
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
      expect(results[0]).toEqual({ data: { bulkOperationProgress: { status: "PENDING" } } });
      // The last result is the error alone, with the extensions an expired token gets over HTTP.
      expect(results.at(-1)).toEqual({
        errors: [{ message: expect.any(String), extensions: { code: "UNAUTHENTICATED" } }],
      });
    } finally {
      client.dispose();
    }
  });
});

describe("atTime", () => {
  test("waits past setTimeout's 2^31 - 1 ms limit, and a cancelled one never fires", () => {
    vi.useFakeTimers();
    try {
      const fired: string[] = [];
      const day = 86_400_000;
      atTime(Date.now() + 30 * day, () => fired.push("30 days"));
      const cancel = atTime(Date.now() + day, () => fired.push("cancelled"));
      cancel();
      vi.advanceTimersByTime(29 * day);
      expect(fired).toEqual([]);
      vi.advanceTimersByTime(day);
      expect(fired).toEqual(["30 days"]);
    } finally {
      vi.useRealTimers();
    }
  });
});
