/**
 * Subscription floods (issue 11, item 4): 2,000 bulkOperationProgress subscriptions on one socket made 2,000 reads
 * of the operation row per batch, slowed the bulk operation tenfold and the other tenant's requests with it. Now a
 * WebSocket runs at most WS_MAX_SUBSCRIPTIONS_PER_CONNECTION subscriptions and a caller MAX_SUBSCRIPTIONS_PER_SUBJECT
 * (LIMIT_EXCEEDED beyond, the socket carries on), and every progress event costs one read however many follow the
 * operation.
 */
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestApi, type TestApi } from "../support/api.js";
import { query } from "../support/db.js";
import { must } from "../support/graph.js";
import { wsClient, wsExec } from "../support/ws.js";

const PROGRESS = `subscription($id: ID!) { bulkOperationProgress(id: $id) { status processed } }`;

let api: TestApi;
let operationId: string;
const sockets: Client[] = [];

beforeAll(async () => {
  // No bulk runner: the operation stays PENDING, so its subscriptions stay open, and nothing else reads it.
  api = await startTestApi({
    runner: false,
    app: { connections: { maxSubscriptionsPerConnection: 2, maxSubscriptionsPerSubject: 3 } },
  });
  const task = (await must(api, `{ tasks(first: 1) { edges { node { id } } } }`)).tasks.edges[0].node.id;
  operationId = (await must(api, `mutation($ids: [ID!]) { bulkSoftDelete(ids: $ids) { id } }`, { ids: [task] }))
    .bulkSoftDelete.id;
});
afterAll(async () => {
  await Promise.all(sockets.map((s) => s.dispose()));
  await api?.close();
});

async function socket(subject = "admin@demo.test"): Promise<Client> {
  const { client } = wsClient(api.url, await api.auth("ADMIN", "demo", subject));
  sockets.push(client);
  return client;
}

/** Subscribes; resolves with the first message (a state, or the refusal), and gives the stream's other messages. */
function follow(client: Client) {
  const messages: any[] = [];
  let first!: (m: any) => void;
  const firstMessage = new Promise<any>((r) => (first = r));
  const stop = client.subscribe(
    { query: PROGRESS, variables: { id: operationId } },
    {
      next: (m) => {
        messages.push(m);
        first(m);
      },
      error: (errors) => first({ errors }),
      complete: () => {},
    },
  );
  return { firstMessage, messages, stop };
}

describe("subscription caps", () => {
  test("per connection and per subject: LIMIT_EXCEEDED names the setting; the socket and other callers carry on", async () => {
    const a = await socket();
    const a1 = follow(a);
    const a2 = follow(a);
    expect((await a1.firstMessage).data.bulkOperationProgress.status).toBe("PENDING");
    expect((await a2.firstMessage).data.bulkOperationProgress.status).toBe("PENDING");
    const a3 = await follow(a).firstMessage;
    expect(a3.errors[0].extensions).toEqual({ code: "LIMIT_EXCEEDED", limit: "WS_MAX_SUBSCRIPTIONS_PER_CONNECTION" });
    expect((await wsExec(a, `{ viewer { role } }`)).data.viewer.role).toBe("ADMIN");

    const b = await socket();
    const b1 = follow(b);
    expect((await b1.firstMessage).data.bulkOperationProgress.status).toBe("PENDING");
    const b2 = await follow(b).firstMessage;
    expect(b2.errors[0].extensions).toEqual({ code: "LIMIT_EXCEEDED", limit: "MAX_SUBSCRIPTIONS_PER_SUBJECT" });

    // Another caller is not held back by this one's subscriptions.
    const other = follow(await socket("other-admin@demo.test"));
    expect((await other.firstMessage).data.bulkOperationProgress.status).toBe("PENDING");

    // An ended subscription gives its place back, once its stream wakes (an event, or the watch's resync).
    a1.stop();
    for (let attempt = 0; ; attempt++) {
      const again = follow(b);
      const m = await again.firstMessage;
      if (m.data) break;
      expect(m.errors[0].extensions.code).toBe("LIMIT_EXCEEDED");
      if (attempt > 100) throw new Error("the ended subscription's place was never given back");
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  test("one read of the operation per progress event, however many follow it", async () => {
    // Three callers, two subscriptions each (within both caps), plus the ones still open from the test above.
    const followers = [];
    for (const subject of ["s1@demo.test", "s2@demo.test", "s3@demo.test"]) {
      const client = await socket(subject);
      followers.push(follow(client), follow(client));
    }
    for (const f of followers) expect((await f.firstMessage).data.bulkOperationProgress.status).toBe("PENDING");

    api.db.statements.length = 0;
    const uuid = Buffer.from(operationId, "base64url").toString().split(":")[1] ?? operationId;
    await query(api.db.db, `UPDATE bulk_operations SET processed = 1 WHERE id::text IN ('${uuid}', '${operationId}')`);
    await api.services.bulk.events.publish(operationId);
    for (const f of followers)
      for (let i = 0; f.messages.at(-1)?.data?.bulkOperationProgress.processed !== 1; i++) {
        if (i > 500) throw new Error("a follower never got the event");
        await new Promise((r) => setTimeout(r, 10));
      }
    const reads = api.db.statements.filter((s) => /from "bulk_operations"/i.test(s) && /^select/i.test(s));
    expect(reads).toHaveLength(1);
  });
});
