/**
 * GraphQL over WebSocket (graphql-ws) on the GraphQL path: authenticated once per connection from the
 * `connection_init` payload (a bad token closes the socket with 4401, and so does the token's expiry later), then
 * every operation goes through the shared streaming pipeline, so limits, introspection, trusted documents and error
 * masking match HTTP and SSE; each operation is counted and logged when it ends (stream-operations.ts). A frame is
 * at most as large as an HTTP body (WS_MAX_PAYLOAD_BYTES): a 40 MB `connection_init` is refused, not read into
 * memory, and costs one log line, not a stack trace on stderr. A socket gets WS_CONNECTION_INIT_TIMEOUT_MS to authenticate, and one client address at most
 * WS_MAX_SOCKETS_PER_ADDRESS sockets.
 */
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { GraphQLFormattedError } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import type { Context, Viewer } from "../graphql/context.js";
import { RetryableError, UnauthenticatedError } from "../engine/errors.js";
import type { Metrics } from "./metrics.js";
import { executeInReadScope } from "./read-routing.js";
import {
  admitSubscription,
  maskResult,
  prepareOperation,
  subscribeSafely,
  type StreamPipelineOptions,
} from "./stream-operation.js";
import type { ConnectionCount } from "./subscription-quota.js";
import { atTime, EXPIRED_CLOSE_REASON } from "./token-expiry.js";
import type { StreamOperation, StreamOperations } from "./stream-operations.js";

export interface WebSocketOptions extends StreamPipelineOptions {
  authenticate(authorization: unknown): Promise<Viewer>;
  context(viewer: Viewer, requestId: string): Context;
  /** Counts open connections. */
  metrics: Metrics;
  /** Metrics and a log line per operation. */
  operations: StreamOperations;
  /** WebSockets one client address may hold open; more upgrades are answered 429. */
  maxSocketsPerAddress: number;
  /** How long a socket may stay open without `connection_init`; then graphql-ws closes it with 4408. */
  connectionInitTimeoutMs: number;
}

/** Largest WebSocket message, as large as an HTTP request body may be. */
export const WS_MAX_PAYLOAD_BYTES = 1024 * 1024;

export function serveWebSocket(httpServer: Server, path: string, options: WebSocketOptions) {
  // Upgrades are routed here rather than by `new WebSocketServer({ server })`, which re-emits the HTTP server's
  // errors (EADDRINUSE at listen) as a WebSocket stack trace; `listen()` reports them as one line already.
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD_BYTES });
  // Counted from the upgrade request until its TCP socket closes, whether or not the upgrade succeeds.
  const perAddress = new Map<string, number>();
  httpServer.on("upgrade", (req, socket, head) => {
    if (new URL(req.url ?? "/", "http://localhost").pathname !== path) return void socket.destroy();
    const address = req.socket.remoteAddress ?? "";
    const open = perAddress.get(address) ?? 0;
    if (open >= options.maxSocketsPerAddress) {
      socket.end(
        `HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n` +
          `at most ${options.maxSocketsPerAddress} WebSockets per client address (WS_MAX_SOCKETS_PER_ADDRESS)\n`,
      );
      return;
    }
    perAddress.set(address, open + 1);
    socket.once("close", () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
    wsServer.handleUpgrade(req, socket, head, (ws) => wsServer.emit("connection", ws, req));
  });
  options.metrics.trackWebSockets(wsServer);
  // The operations of each connection by their graphql-ws id, from subscribe to complete.
  const live = new WeakMap<object, Map<string, StreamOperation>>();
  const opOf = (ctx: object, id: string) => live.get(ctx)?.get(id);
  // Each connection's running subscriptions, and the release of each admitted one by id.
  const counts = new WeakMap<object, ConnectionCount>();
  const releases = new WeakMap<object, Map<string, () => void>>();
  const cleanup = useServer<Record<string, unknown>, { viewer?: Viewer }>(
    {
      connectionInitWaitTimeout: options.connectionInitTimeoutMs,
      onConnect: async (ctx) => {
        try {
          const params = ctx.connectionParams ?? {};
          const viewer = await options.authenticate(params.authorization ?? params.Authorization);
          ctx.extra.viewer = viewer;
          const socket = ctx.extra.socket;
          if (viewer.expiresAt !== undefined && socket.readyState === socket.OPEN) {
            // graphql-ws then completes the socket's operations; its client does not retry a 4401.
            const cancel = atTime(viewer.expiresAt, () => socket.close(4401, EXPIRED_CLOSE_REASON));
            socket.once("close", cancel);
          }
          return true;
        } catch (err) {
          // 1013 "try again later": a transient fault, which graphql-ws clients retry (unlike 4401).
          if (err instanceof RetryableError) ctx.extra.socket.close(1013, `RETRYABLE: ${err.message}`.slice(0, 120));
          else {
            const reason = err instanceof UnauthenticatedError ? err.message : "authentication failed";
            ctx.extra.socket.close(4401, `UNAUTHENTICATED: ${reason}`.slice(0, 120));
          }
          return false;
        }
      },
      onSubscribe: (ctx, id, payload) => {
        const op = options.operations.begin(ctx.extra.viewer);
        const prepared = prepareOperation(payload, options);
        if (Array.isArray(prepared)) {
          // A refusal: graphql-ws sends it as an error message and calls no other hook of ours for this id.
          op.sent({ errors: prepared });
          op.end();
          return prepared;
        }
        if (!counts.has(ctx)) counts.set(ctx, { subscriptions: 0 });
        const admitted = admitSubscription(prepared, options.quota, ctx.extra.viewer, counts.get(ctx));
        if (Array.isArray(admitted)) {
          op.sent({ errors: admitted });
          op.end();
          return admitted;
        }
        if (!releases.has(ctx)) releases.set(ctx, new Map());
        releases.get(ctx)!.set(id, admitted);
        if (!live.has(ctx)) live.set(ctx, new Map());
        live.get(ctx)!.set(id, op);
        return prepared;
      },
      onOperation: (ctx, id, _payload, args, result) => {
        opOf(ctx, id)?.started(args, result);
        return undefined;
      },
      // Called for every operation that got past onSubscribe, when it ends for whatever reason.
      onComplete: (ctx, id) => {
        opOf(ctx, id)?.end();
        live.get(ctx)?.delete(id);
        releases.get(ctx)?.get(id)?.();
        releases.get(ctx)?.delete(id);
      },
      // A query may read from a replica (read-routing.ts); subscriptions follow the primary.
      execute: executeInReadScope,
      context: (ctx, id) => options.context(ctx.extra.viewer!, opOf(ctx, id)?.requestId ?? randomUUID()),
      subscribe: subscribeSafely,
      onNext: (ctx, id, _payload, args, result) => {
        const masked = maskResult(result, options, args.contextValue as Context | undefined);
        opOf(ctx, id)?.sent(masked);
        return masked;
      },
      // Errors graphql-ws raises itself (a stream that throws despite subscribeSafely).
      onError: (ctx, id, _payload, errors) => {
        const masked = maskResult({ errors }, options);
        opOf(ctx, id)?.sent(masked);
        return masked.errors as unknown as readonly GraphQLFormattedError[];
      },
    },
    wsServer,
  );
  // graphql-ws answers a socket's 'error' with console.error and the stack trace. Those errors are the client's
  // protocol faults (a frame over WS_MAX_PAYLOAD_BYTES, invalid UTF-8, a bad opcode), which ws has answered already
  // by closing the socket (1009, 1007, 1002); printed, any client could flood stderr. So one structured line per
  // socket instead (ws emits 'error' at most once per socket). This listener runs after graphql-ws's own (added in
  // useServer), so the socket's error listener is in place to be replaced.
  wsServer.on("connection", (socket, req) => {
    socket.removeAllListeners("error");
    socket.on("error", (err: Error & { code?: string }) => {
      options.log.info(
        { address: req.socket.remoteAddress, code: err.code, problem: err.message },
        "websocket closed on a protocol error",
      );
      // ws closes the socket itself for every error it emits; anything else is closed as graphql-ws would.
      if (socket.readyState === socket.OPEN) socket.close(4500, "Internal server error");
    });
  });
  return { wsServer, dispose: () => cleanup.dispose() };
}
