/**
 * What the streaming transports (graphql-ws over WebSocket, graphql-sse over Server-Sent Events) report about each
 * operation, from their hooks: the metrics an HTTP request gets (requests and latency by operation when it starts
 * executing, errors by code as results leave, active subscriptions while one streams) and, when it ends, one log
 * line like an HTTP request's (see request-log.ts).
 *
 * Invariant: every `StreamOperation` that was begun is ended exactly once (later calls are ignored), so the
 * subscriptions gauge comes back down and no operation logs twice. A transport ends an operation when its
 * library says it completed, and itself when the library will not (a refusal over WebSocket).
 */
import { randomUUID } from "node:crypto";
import { getOperationAST, type ExecutionArgs, type ExecutionResult } from "graphql";
import type { Viewer } from "../graphql/context.js";
import { codeOf, type Metrics, type OperationType } from "./metrics.js";
import type { RequestLog } from "./request-log.js";

export type Transport = "websocket" | "sse";

export class StreamOperations {
  constructor(
    readonly transport: Transport,
    private readonly metrics: Metrics,
    private readonly requestLog: RequestLog,
  ) {}

  /** An operation arrived, before any check; `requestId` when the transport has one (an SSE request's). */
  begin(viewer: Viewer | undefined, requestId: string = randomUUID()): StreamOperation {
    return new StreamOperation(this.transport, this.metrics, this.requestLog, viewer, requestId);
  }
}

export class StreamOperation {
  private readonly startedAt = performance.now();
  private operationName: string | null = null;
  private operationType: OperationType | null = null;
  private streaming = false;
  private events = 0;
  private readonly errorCodes: string[] = [];
  private ended = false;

  constructor(
    private readonly transport: Transport,
    private readonly metrics: Metrics,
    private readonly requestLog: RequestLog,
    private readonly viewer: Viewer | undefined,
    readonly requestId: string,
  ) {}

  /** Execution began (graphql-ws and graphql-sse `onOperation`): `result` is a stream for a subscription. */
  started(args: Pick<ExecutionArgs, "document" | "operationName">, result: unknown): void {
    if (this.ended) return;
    // The name as resolved from the document (a client need not send operationName), as Apollo reports it.
    const operation = getOperationAST(args.document, args.operationName);
    this.operationName = operation?.name?.value ?? null;
    this.operationType = operation?.operation ?? "unknown";
    this.streaming = typeof (result as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === "function";
    const seconds = (performance.now() - this.startedAt) / 1000;
    this.metrics.operationDone(this.operationName, this.operationType, seconds, []);
    if (this.streaming) {
      this.metrics.subscriptions.inc({ transport: this.transport });
      this.metrics.subscriptionEvents.inc({ transport: this.transport }, 0);
    }
  }

  /** A result (masked, as the client gets it) left for the client: its error codes are counted. */
  sent(result: Pick<ExecutionResult, "errors"> | { errors?: readonly { extensions?: Record<string, unknown> }[] }) {
    if (this.ended) return;
    this.events++;
    if (this.streaming) this.metrics.subscriptionEvents.inc({ transport: this.transport });
    const codes = (result.errors ?? []).map((e) => codeOf(e as { extensions?: Record<string, unknown> }));
    this.errorCodes.push(...codes);
    this.metrics.countErrors(codes);
  }

  /** The operation is over (completed, cancelled by the client, its connection gone, or refused). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const durationMs = performance.now() - this.startedAt;
    // Refused before execution: counted like an HTTP request Apollo could not resolve.
    if (this.operationType === null) this.metrics.operationDone(null, "unknown", durationMs / 1000, []);
    if (this.streaming) this.metrics.subscriptions.dec({ transport: this.transport });
    this.requestLog.streamOperation({
      transport: this.transport,
      requestId: this.requestId,
      viewer: this.viewer,
      operationName: this.operationName,
      operationType: this.operationType,
      durationMs,
      events: this.events,
      errorCodes: this.errorCodes,
    });
  }
}
