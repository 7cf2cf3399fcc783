/**
 * Prometheus metrics of one instance (prom-client, text format on GET /metrics): GraphQL requests and their
 * latency by operation, errors by code, open WebSockets, SSE streams and subscriptions, how queries were answered
 * (read compiler or resolvers), the connection pool and the replicas, and what the engine reports through its observer (soft deletes and restores by entity, bulk operations,
 * purges), plus Node's process metrics.
 *
 * Invariant: every label takes a bounded set of values. Operation names are client-chosen, so only the first
 * `maxOperationNames` distinct well-formed names are kept as labels; later ones count as "other", anonymous
 * operations as "unnamed" and unparseable ones as "unknown".
 */
import { timingSafeEqual } from "node:crypto";
import type { ApolloServerPlugin } from "@apollo/server";
import type { RequestHandler } from "express";
import { type GraphQLError } from "graphql";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { DatabaseHandle } from "../db/database.js";
import { poolStats } from "../db/pool-stats.js";
import type { ReplicaStatus } from "../db/replicas.js";
import type { EngineObserver } from "../engine/observer.js";

export const METRICS_PATH = "/metrics";

export type OperationType = "query" | "mutation" | "subscription" | "unknown";

export interface MetricsOptions {
  /** Distinct operation names kept as label values; later ones count as "other". @default 100 */
  maxOperationNames?: number;
  /** Also collect Node's process metrics (CPU, memory, event loop lag, GC). @default true */
  processMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly names = new Set<string>();
  private readonly maxNames: number;

  readonly requests = new Counter({
    name: "graphql_requests_total",
    help: "GraphQL operations executed (HTTP requests and subscriptions), by operation name and type.",
    labelNames: ["operation", "type"] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: "graphql_request_duration_seconds",
    help: "Time from receiving a GraphQL operation to sending its response (for a subscription: to its first event or error).",
    labelNames: ["operation", "type"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: "graphql_errors_total",
    help: "Errors sent to clients, by extensions.code.",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });
  readonly webSockets = new Gauge({
    name: "graphql_websocket_connections",
    help: "Open graphql-ws WebSocket connections.",
    registers: [this.registry],
  });
  /** Open Server-Sent Events streams: whoever serves SSE increments it on open and decrements it on close. */
  readonly sseStreams = new Gauge({
    name: "graphql_sse_streams",
    help: "Open GraphQL-over-SSE streams.",
    registers: [this.registry],
  });
  readonly subscriptions = new Gauge({
    name: "graphql_subscriptions_active",
    help: "Active GraphQL subscriptions, by transport (websocket, sse).",
    labelNames: ["transport"] as const,
    registers: [this.registry],
  });
  readonly subscriptionEvents = new Counter({
    name: "graphql_subscription_events_total",
    help: "Results sent to subscribers, by transport (websocket, sse).",
    labelNames: ["transport"] as const,
    registers: [this.registry],
  });
  readonly readCompiler = new Counter({
    name: "graphql_read_compiler_total",
    help: "Query operations over HTTP by how they were answered: compiled (one SQL statement per root field) or resolvers (the compiler gave up); nothing with READ_COMPILER=off.",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly rowsChanged = new Counter({
    name: "softdelete_rows_total",
    help: "Rows soft-deleted or restored (cascades and bulk operations included), by entity type and action.",
    labelNames: ["entity", "action"] as const,
    registers: [this.registry],
  });
  readonly bulkOperations = new Counter({
    name: "bulk_operations_total",
    help: "Bulk operations reaching a status (RUNNING when a worker takes one up, then a terminal status), by kind.",
    labelNames: ["kind", "status"] as const,
    registers: [this.registry],
  });
  readonly bulkRows = new Counter({
    name: "bulk_rows_processed_total",
    help: "Target rows bulk operations changed in committed batches, by kind.",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly bulkRate = new Gauge({
    name: "bulk_rows_per_second",
    help: "Target rows per second of the last committed batch, by kind.",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly bulkBatchSeconds = new Histogram({
    name: "bulk_batch_duration_seconds",
    help: "Time of one committed bulk batch (one transaction), by kind.",
    labelNames: ["kind"] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly purgeRuns = new Counter({
    name: "purge_runs_total",
    help: "Real (not dry-run) retention purges, by outcome: done, interrupted, alreadyRunning, failed.",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly purgedRows = new Counter({
    name: "purge_rows_total",
    help: "Rows removed by retention purges, by entity type.",
    labelNames: ["entity"] as const,
    registers: [this.registry],
  });

  constructor(options: MetricsOptions = {}) {
    this.maxNames = options.maxOperationNames ?? 100;
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    for (const status of ["RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"])
      for (const kind of ["SOFT_DELETE", "RESTORE"]) this.bulkOperations.inc({ kind, status }, 0);
  }

  /** Pool gauges read at scrape time (nothing on PGlite, which has no pool). */
  observePool(handle: DatabaseHandle): void {
    const gauge = (name: string, help: string, pick: (s: NonNullable<ReturnType<typeof poolStats>>) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const stats = poolStats(handle);
          if (stats) this.set(pick(stats));
        },
      });
    this.observeReplicas(handle);
    if (!handle.pool) return;
    gauge("db_pool_max", "Most connections the pool may open (DATABASE_POOL_MAX).", (s) => s.max);
    gauge("db_pool_size", "Connections open now, busy or idle.", (s) => s.total);
    gauge("db_pool_idle", "Idle connections.", (s) => s.idle);
    gauge("db_pool_waiting", "Requests queued for a connection.", (s) => s.waiting);
  }

  /** Per replica (DATABASE_REPLICA_URLS), read at scrape time: reads served, reads re-run on the primary, lag, health. */
  private observeReplicas(handle: DatabaseHandle): void {
    const replicas = handle.replicas;
    if (!replicas) return;
    const labelNames = ["replica"] as const;
    const registers = [this.registry];
    // The replica's own counters since start-up, copied at each scrape (they only grow, as a counter must).
    const counter = (name: string, help: string, pick: (s: ReplicaStatus) => number) =>
      new Counter({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          for (const s of replicas.status()) this.inc({ replica: s.name }, pick(s));
        },
      });
    counter("db_replica_reads_total", "Reads a streaming replica served.", (s) => s.served);
    counter(
      "db_replica_fallbacks_total",
      "Reads that failed on a replica and were re-run on the primary.",
      (s) => s.fallbacks,
    );
    new Gauge({
      name: "db_replica_lag_seconds",
      help: "Replay lag of each replica at its last check (absent when it could not be measured).",
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const s of replicas.status()) if (s.lagMs !== null) this.set({ replica: s.name }, s.lagMs / 1000);
      },
    });
    new Gauge({
      name: "db_replica_healthy",
      help: "1 when a replica serves reads, 0 while it is skipped (starting, lagging or failing).",
      labelNames,
      registers,
      collect() {
        for (const s of replicas.status()) this.set({ replica: s.name }, s.state === "healthy" ? 1 : 0);
      },
    });
  }

  /** The label value for a client-given operation name (see the module's invariant). */
  operationLabel(name: string | null | undefined): string {
    if (!name) return "unnamed";
    if (!/^[_A-Za-z][_0-9A-Za-z]{0,63}$/.test(name)) return "other";
    if (this.names.has(name)) return name;
    if (this.names.size >= this.maxNames) return "other";
    this.names.add(name);
    return name;
  }

  /** Counts one operation (over HTTP: when its response is sent; streaming: when it starts executing). */
  operationDone(name: string | null | undefined, type: OperationType, seconds: number, codes: string[]): void {
    const labels = { operation: type === "unknown" ? "unknown" : this.operationLabel(name), type };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
    this.countErrors(codes);
  }

  /** Counts errors sent to a client, by code. */
  countErrors(codes: readonly string[]): void {
    for (const code of codes) this.errors.inc({ code: errorCodeLabel(code) });
  }

  /** Counts the open sockets of a WebSocketServer, authenticated or not. */
  trackWebSockets(server: {
    on(event: "connection", fn: (socket: { once(e: "close", fn: () => void): void }) => void): void;
  }): void {
    server.on("connection", (socket) => {
      this.webSockets.inc();
      socket.once("close", () => this.webSockets.dec());
    });
  }

  /** Turns what the engine reports into metrics. */
  readonly engineObserver: EngineObserver = {
    rowsChanged: (e) => this.rowsChanged.inc({ entity: e.entityType, action: e.action }, e.rows),
    bulkStatus: (e) => {
      if (e.status !== "PENDING") this.bulkOperations.inc({ kind: e.kind, status: e.status });
    },
    bulkBatch: (e) => {
      this.bulkRows.inc({ kind: e.kind }, e.processed);
      this.bulkBatchSeconds.observe({ kind: e.kind }, e.seconds);
      if (e.seconds > 0) this.bulkRate.set({ kind: e.kind }, e.processed / e.seconds);
    },
    purge: (e) => {
      this.purgeRuns.inc({ outcome: e.outcome });
      for (const { type, count } of e.purged) this.purgedRows.inc({ entity: type }, count);
    },
  };

  /** Counts GraphQL operations over HTTP (the streaming transports count theirs through stream-operations.ts). */
  apolloPlugin(): ApolloServerPlugin {
    return {
      requestDidStart: async () => {
        const started = performance.now();
        let name: string | null | undefined;
        let type: OperationType = "unknown";
        return {
          didResolveOperation: async ({ operation, operationName }) => {
            name = operationName;
            type = operation?.operation ?? "unknown";
          },
          willSendResponse: async ({ response, errors }) => {
            const sent = response.body.kind === "single" ? (response.body.singleResult.errors ?? []) : (errors ?? []);
            this.operationDone(
              name,
              type,
              (performance.now() - started) / 1000,
              sent.map((e) => codeOf(e)),
            );
          },
        };
      },
    };
  }

  /**
   * GET /metrics. With a token, only `Authorization: Bearer <token>` is answered (401 otherwise).
   */
  handler(token?: string): RequestHandler {
    return async (req, res) => {
      if (token && !bearerMatches(req.headers.authorization, token)) {
        res.status(401).set("www-authenticate", 'Bearer realm="metrics"').type("text").send("unauthorized\n");
        return;
      }
      res.set("content-type", this.registry.contentType).set("cache-control", "no-store");
      res.send(await this.registry.metrics());
    };
  }
}

/** extensions.code of a formatted or thrown GraphQL error. */
export function codeOf(error: { extensions?: Record<string, unknown> | undefined } | GraphQLError): string {
  const code = error.extensions?.code;
  return typeof code === "string" ? code : "INTERNAL_SERVER_ERROR";
}

/** Codes are server-chosen, but bound them anyway: an unexpected shape counts as "OTHER". */
function errorCodeLabel(code: string): string {
  return /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : "OTHER";
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
