/**
 * Subscriptions (and queries and mutations) over HTTP with Server-Sent Events, for networks and proxies that block
 * WebSockets: the graphql-sse protocol on `/graphql/stream`, both its "distinct connections" mode (POST with
 * `Accept: text/event-stream`) and its "single connection" mode (PUT to reserve a stream, GET to listen, POST
 * operations with `x-graphql-event-stream-token`). Every request carries `Authorization: Bearer <token>` (so a
 * browser preflights every cross-origin one: no CSRF through a simple request); each
 * operation goes through the same pipeline as over WebSocket (limits, introspection, trusted documents, masking)
 * and is counted and logged when it ends (stream-operations.ts). A subscription lives no longer than the token of
 * the request that started it: it then ends with an UNAUTHENTICATED error (in single-connection mode the listening
 * stream stays, and carries operations sent later with a fresh token).
 */
import { randomUUID } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import type { ExecutionArgs, ExecutionResult } from "graphql";
import { createHandler } from "graphql-sse/lib/use/express";
import type { Context, Viewer } from "../graphql/context.js";
import { RetryableError, UnauthenticatedError } from "../engine/errors.js";
import { extensionsOf } from "../graphql/errors.js";
import type { Metrics } from "./metrics.js";
import { executeInReadScope } from "./read-routing.js";
import {
  admitSubscription,
  maskResult,
  prepareOperation,
  subscribeSafely,
  type StreamPipelineOptions,
} from "./stream-operation.js";
import type { StreamOperation, StreamOperations } from "./stream-operations.js";
import { endAtExpiry } from "./token-expiry.js";

export const SSE_PATH_SUFFIX = "/stream";

export interface SseOptions extends StreamPipelineOptions {
  authenticate(authorization: unknown): Promise<Viewer>;
  context(viewer: Viewer, requestId: string): Context;
  /** Counts open event streams. */
  metrics: Metrics;
  /** Metrics and a log line per operation. */
  operations: StreamOperations;
}

const json = { "content-type": "application/json; charset=utf-8" };

export function sseHandler(options: SseOptions): RequestHandler {
  const viewers = new WeakMap<Request, Viewer>();
  // Each operation arrives in an HTTP request of its own (in both modes): graphql-sse hands that request to
  // every hook of the operation.
  const live = new WeakMap<object, StreamOperation>();
  const releases = new WeakMap<object, () => void>();
  const contextOf = (req: { raw: Request; context: { res: { locals: Record<string, unknown> } } }) =>
    options.context(viewers.get(req.raw)!, String(req.context.res.locals.requestId ?? randomUUID()));
  const handler = createHandler<Context>({
    schema: options.schema,
    authenticate: async (req) => {
      try {
        viewers.set(req.raw, await options.authenticate(req.headers.get("authorization")));
      } catch (err) {
        if (err instanceof RetryableError) {
          const body = JSON.stringify({ errors: [{ message: err.message, extensions: extensionsOf(err) }] });
          return [body, { status: 503, statusText: "Service Unavailable", headers: json }];
        }
        if (!(err instanceof UnauthenticatedError)) throw err;
        const body = JSON.stringify({ errors: [{ message: err.message, extensions: { code: "UNAUTHENTICATED" } }] });
        return [body, { status: 401, statusText: "Unauthorized", headers: json }];
      }
      // graphql-sse's own default: the stream token the client named, or a new one for a reservation.
      return (
        req.headers.get("x-graphql-event-stream-token") ||
        new URL(req.url, "http://localhost").searchParams.get("token") ||
        randomUUID()
      );
    },
    context: (req) => contextOf(req),
    // Refusals are results, sent in the stream like any other (graphql-sse does so for validation errors).
    onSubscribe: (req, params) => {
      const requestId = String(req.context.res.locals.requestId ?? randomUUID());
      live.set(req, options.operations.begin(viewers.get(req.raw), requestId));
      const prepared = prepareOperation(params, options);
      // (graphql-sse recognises a result by its `data` key; undefined is left out of the JSON.)
      if (Array.isArray(prepared)) return { data: undefined, errors: prepared };
      const admitted = admitSubscription(prepared, options.quota, viewers.get(req.raw));
      if (Array.isArray(admitted)) return { data: undefined, errors: admitted };
      releases.set(req, admitted);
      return { ...prepared, contextValue: contextOf(req) };
    },
    // prepareOperation has validated already.
    validate: () => [],
    // A query may read from a replica (read-routing.ts); subscriptions follow the primary.
    execute: executeInReadScope as never,
    // A subscription ends with UNAUTHENTICATED when the token of its request expires (token-expiry.ts).
    subscribe: (async (args: ExecutionArgs) =>
      endAtExpiry(await subscribeSafely(args), (args.contextValue as Context).viewer.expiresAt)) as never,
    onOperation: (_ctx, req, args, result) => void live.get(req)?.started(args, result),
    onNext: (ctx, req, result) => {
      const masked = maskResult(result as ExecutionResult, options, ctx);
      live.get(req)?.sent(masked);
      return masked;
    },
    // Also when the client goes away mid-subscription (graphql-sse returns the stream, which then completes). An
    // operation the client cancels (DELETE) before it starts gets no hook and no log line.
    onComplete: (_ctx, req) => {
      live.get(req)?.end();
      live.delete(req);
      releases.get(req)?.();
      releases.delete(req);
    },
  });
  return (req, res, next) => {
    countEventStream(res, options.metrics);
    handler(req, res).catch(next);
  };
}

/** Counts the response while it is an open event stream (graphql-sse writes every header in one writeHead). */
function countEventStream(res: Response, metrics: Metrics): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
  res.writeHead = ((...args: unknown[]) => {
    const headers = args.find((a): a is Record<string, unknown> => typeof a === "object" && a !== null);
    if (String(headers?.["content-type"] ?? "").startsWith("text/event-stream")) {
      metrics.sseStreams.inc();
      res.once("close", () => metrics.sseStreams.dec());
    }
    return writeHead(...args);
  }) as Response["writeHead"];
}
