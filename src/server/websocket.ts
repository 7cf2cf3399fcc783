/**
 * GraphQL over WebSocket (graphql-ws) on the GraphQL path: authenticated once per connection from the
 * `connection_init` payload (a bad token closes the socket with 4401), then every operation goes through the
 * shared streaming pipeline, so limits, introspection, trusted documents and error masking match HTTP and SSE.
 */
import type { Server } from "node:http";
import type { GraphQLFormattedError } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import type { Context, Viewer } from "../graphql/context.js";
import { UnauthenticatedError } from "../graphql/errors.js";
import { executeInReadScope } from "./read-routing.js";
import { maskResult, prepareOperation, subscribeSafely, type StreamPipelineOptions } from "./stream-operation.js";

export interface WebSocketOptions extends StreamPipelineOptions {
  authenticate(authorization: unknown): Promise<Viewer>;
  context(viewer: Viewer): Context;
}

export function serveWebSocket(httpServer: Server, path: string, options: WebSocketOptions) {
  const wsServer = new WebSocketServer({ server: httpServer, path });
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
      onSubscribe: (_ctx, _id, payload) => prepareOperation(payload, options),
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
