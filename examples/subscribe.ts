/**
 * Following a subscription over either transport the server offers: WebSocket (graphql-ws) or, where a network
 * blocks WebSockets, Server-Sent Events over plain HTTP (graphql-sse, on /graphql/stream). Both take the same
 * token, operations and results.
 *
 *   GRAPHQL_URL=http://localhost:4000/graphql TOKEN=<ADMIN token> TRANSPORT=sse TASK_ID=<a task id> \
 *     node --import @swc-node/register/esm-register examples/subscribe.ts
 *
 * It queues a durable bulk soft delete of the task's comments and prints its progress events until it ends.
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { print } from "graphql";
import { createClient as createSseClient } from "graphql-sse";
import { createClient as createWsClient } from "graphql-ws";
import WebSocket from "ws";
import { createClient, documentHash } from "./client.js";
import { graphql } from "./gql/index.js";
import type { BulkProgressSubscription } from "./gql/graphql.js";

export const BulkDeleteCommentsDocument = graphql(`
  mutation BulkDeleteComments($taskId: ID!, $reason: String) {
    bulkSoftDelete(filter: { type: Comment, taskId: $taskId }, reason: $reason) {
      id
      status
      total
    }
  }
`);

export const BulkProgressDocument = graphql(`
  subscription BulkProgress($id: ID!) {
    bulkOperationProgress(id: $id) {
      operationId
      status
      processed
      skipped
      failed
      total
      batches
    }
  }
`);

export type Progress = BulkProgressSubscription["bulkOperationProgress"];
export type Transport = "ws" | "sse";

export interface FollowOptions {
  /** The GraphQL endpoint over HTTP, e.g. http://localhost:4000/graphql. */
  url: string;
  /** A bearer token without the "Bearer " prefix. */
  token: string;
  transport: Transport;
  /** Send the subscription by hash (a server with TRUSTED_DOCUMENTS). @default false */
  persisted?: boolean;
  onEvent?: (event: Progress) => void;
}

/** Every progress event of a bulk operation, until it ends (succeeded, failed or cancelled). */
export async function followBulkOperation(id: string, options: FollowOptions): Promise<Progress[]> {
  const hash = options.persisted ? documentHash(BulkProgressDocument as never) : undefined;
  const request = {
    query: hash ? "" : print(BulkProgressDocument),
    variables: { id },
    ...(hash ? { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } } : {}),
  };
  const authorization = `Bearer ${options.token}`;
  const events: Progress[] = [];
  const sink = (resolve: () => void, reject: (err: unknown) => void) => ({
    next: (result: { data?: unknown; errors?: readonly unknown[] }) => {
      if (result.errors?.length) return reject(new Error(JSON.stringify(result.errors)));
      const event = (result.data as BulkProgressSubscription).bulkOperationProgress;
      events.push(event);
      options.onEvent?.(event);
    },
    error: (err: unknown) => reject(err instanceof Error ? err : new Error(JSON.stringify(err))),
    complete: resolve,
  });
  if (options.transport === "sse") {
    const client = createSseClient({ url: `${options.url}/stream`, headers: { authorization }, retryAttempts: 0 });
    try {
      await new Promise<void>((resolve, reject) => client.subscribe(request, sink(resolve, reject)));
    } finally {
      client.dispose();
    }
  } else {
    const client = createWsClient({
      url: options.url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization },
      retryAttempts: 0,
    });
    try {
      await new Promise<void>((resolve, reject) => client.subscribe(request, sink(resolve, reject)));
    } finally {
      await client.dispose();
    }
  }
  return events;
}

/** Queues a bulk soft delete of a task's comments and follows it to its end. */
export async function deleteCommentsAndFollow(taskId: string, options: FollowOptions): Promise<Progress[]> {
  const client = createClient({ url: options.url, token: options.token, persisted: options.persisted ?? false });
  const { bulkSoftDelete } = await client.request(BulkDeleteCommentsDocument, {
    taskId,
    reason: "Removed by the subscription example",
  });
  return followBulkOperation(bulkSoftDelete.id, options);
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const url = process.env.GRAPHQL_URL ?? "http://localhost:4000/graphql";
  const token = process.env.TOKEN?.replace(/^Bearer\s+/i, "");
  const transport = process.env.TRANSPORT === "sse" ? "sse" : "ws";
  const taskId = process.env.TASK_ID;
  if (!token || !taskId) {
    process.stderr.write("subscribe: set TOKEN (an ADMIN token) and TASK_ID (a task id); TRANSPORT=ws|sse\n");
    process.exitCode = 2;
  } else {
    try {
      await deleteCommentsAndFollow(taskId, {
        url,
        token,
        transport,
        persisted: process.env.PERSISTED === "true",
        onEvent: (e) =>
          void process.stdout.write(
            `${e.status} processed ${e.processed}/${e.total ?? "?"} (skipped ${e.skipped}, failed ${e.failed}) after ${e.batches} batch(es)\n`,
          ),
      });
    } catch (err) {
      process.stderr.write(`subscribe: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  }
}
