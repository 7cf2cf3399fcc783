/**
 * GraphQL over WebSocket (graphql-ws) on the GraphQL path: authenticated once per connection from the
 * `connection_init` payload (a bad token closes the socket with 4401), then every operation goes through the
 * shared streaming pipeline, so limits, introspection, trusted documents and error masking match HTTP and SSE.
 */
import type { Server } from "node:http";
import { getOperationAST, type GraphQLFormattedError } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import type { Context, Viewer } from "../graphql/context.js";
import { UnauthenticatedError } from "../graphql/errors.js";
import type { OperationType, webSocketMetrics } from "./metrics.js";
import { executeInReadScope } from "./read-routing.js";
import { maskResult, prepareOperation, subscribeSafely, type StreamPipelineOptions } from "./stream-operation.js";

export interface WebSocketOptions extends StreamPipelineOptions {
  authenticate(authorization: unknown): Promise<Viewer>;
  context(viewer: Viewer): Context;
  /** Counts connections, operations and active subscriptions. */
  metrics?: ReturnType<typeof webSocketMetrics>;
}

export function serveWebSocket(httpServer: Server, path: string, options: WebSocketOptions) {
  const wsServer = new WebSocketServer({ server: httpServer, path });
  const metrics = options.metrics;
  metrics?.track(wsServer);
  const started = new WeakMap<object, Map<string, number>>();
  const cleanup = useServer<Record<string, unknown>, { viewer?: Viewer }>(
    {
      onConnect: async (ctx) => {
        try {
          const params = ctx.connectionParams ?? {};
          ctx.extra.viewer = await options.authenticate(params.authorization ?? params.Authorization);
          return true;
        } catch (err) {
          const reason = err instanceof UnauthenticatedError ? err.message : "authentication failed";
          ctx.extra.socket.close(4401, `UNAUTHENTICATED: ${reason}`.slice(0, 120));
          return false;
        }
      },
      onSubscribe: (ctx, id, payload) => {
        if (metrics) {
          if (!started.has(ctx)) started.set(ctx, new Map());
          started.get(ctx)!.set(id, performance.now());
        }
        return prepareOperation(payload, options);
      },
      onOperation: (ctx, id, _payload, args, result) => {
        if (!metrics) return undefined;
        const type: OperationType = getOperationAST(args.document, args.operationName)?.operation ?? "unknown";
        const at = started.get(ctx)?.get(id) ?? performance.now();
        started.get(ctx)?.delete(id);
        metrics.operation(ctx, id, args.operationName, type, result, at);
        return undefined;
      },
      onComplete: (ctx, id) => metrics?.complete(ctx, id),
      // A query may read from a replica (read-routing.ts); subscriptions follow the primary.
      execute: executeInReadScope,
      context: (ctx) => options.context(ctx.extra.viewer!),
      subscribe: subscribeSafely,
      onNext: (_ctx, _id, _payload, args, result) =>
        maskResult(result, options, args.contextValue as Context | undefined),
      // Errors graphql-ws raises itself (a stream that throws despite subscribeSafely).
      onError: (_ctx, _id, _payload, errors) =>
        maskResult({ errors }, options).errors as unknown as readonly GraphQLFormattedError[],
    },
    wsServer,
  );
  return { wsServer, dispose: () => cleanup.dispose() };
}
