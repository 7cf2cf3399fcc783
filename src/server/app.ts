/**
 * The HTTP and WebSocket server: express 5 + Apollo Server 5 on /graphql, graphql-ws on the same path,
 * graphql-sse on /graphql/stream, the offline IDE, the operations dashboard, /metrics, and /healthz + /readyz.
 * This module only wires: each concern (CORS, body errors, request checks, streaming transports, trusted
 * documents, metrics, request log) lives in its own module. Built from its dependencies so tests start it on
 * port 0.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import express from "express";
import type { ExecutionResult, GraphQLError, GraphQLSchema } from "graphql";
import type { Logger } from "pino";
import type { DatabaseHandle } from "../db/database.js";
import { withReadScope } from "../db/read-scope.js";
import { actFor, runAs } from "../db/tenant-scope.js";
import type { SoftDeleteEngine } from "../engine/engine.js";
import { Maintenance } from "../engine/maintenance.js";
import { translateConnectionLoss } from "../engine/translate.js";
import type { DomainModel } from "../domain/domain-model.js";
import { MODEL } from "../domain/model.js";
import type { BulkServices, Context, Viewer } from "../graphql/context.js";
import { EngineError, UnauthenticatedError } from "../engine/errors.js";
import { asGraphQLError, toGraphQLError } from "../graphql/errors.js";
import type { Limits } from "../graphql/limits.js";
import { Loaders } from "../graphql/loaders.js";
import { maskError } from "../graphql/mask-error.js";
import { createSchema } from "../graphql/schema.js";
import { readModel } from "../graphql/compile/read-model.js";
import { errorLogging, refusalStatus, requestChecks } from "./apollo-plugins.js";
import { authenticate } from "./authenticate.js";
import { bodyErrorHandler } from "./body-errors.js";
import { connectionLimits, httpServerOptions, type ConnectionLimits } from "./connection-limits.js";
import { cors } from "./cors.js";
import { mountDashboard, type DashboardOptions } from "./dashboard.js";
import { sendErrors } from "./error-response.js";
import { mountIde, type IdeOptions } from "./ide.js";
import { Metrics, METRICS_PATH } from "./metrics.js";
import { OrganizationDirectory } from "./organizations.js";
import { readinessHandler } from "./readiness.js";
import { readCompilerPlugin } from "./read-compiler-plugin.js";
import { RequestLog } from "./request-log.js";
import { onlyQueries, readScopeMiddleware } from "./read-routing.js";
import { sseHandler, SSE_PATH_SUFFIX } from "./sse.js";
import { StreamOperations } from "./stream-operations.js";
import { SubscriptionQuota } from "./subscription-quota.js";
import { trustedDocumentsMiddleware, type TrustedDocuments } from "./trusted-documents.js";
import { MAX_TOKENS } from "./stream-operation.js";
import { serveWebSocket } from "./websocket.js";

export const GRAPHQL_PATH = "/graphql";

export interface AppOptions {
  handle: DatabaseHandle;
  /** The entities served; the same model the engine's registry was made from. @default MODEL */
  model?: DomainModel;
  engine: SoftDeleteEngine;
  bulk: BulkServices;
  /** Health report, purge and erasure. @default built with the default settings */
  maintenance?: Maintenance;
  secret: string;
  log: Logger;
  limits: Limits;
  /** Most operations per HTTP request; 1 turns batching off. @default 1 */
  maxBatch?: number;
  /** Include stack traces of expected errors (never of masked ones). @default false */
  debug?: boolean;
  /** The IDE's options, e.g. initial headers in development. */
  ide?: IdeOptions | undefined;
  /** How long `close()` waits for requests and sockets. @default 10000 */
  shutdownTimeoutMs?: number;
  /**
   * Answer query operations over HTTP with the read compiler (one SQL statement per root field, JSON built by
   * PostgreSQL) when they compile; false runs every operation through the resolvers and their DataLoaders.
   * @default true
   */
  readCompiler?: boolean;
  /** Origins allowed to call from a browser (CORS); `*` for any. @default [] (same origin only) */
  corsOrigins?: readonly string[] | undefined;
  /** Schema introspection on every transport (and tokenless over HTTP); off hides "Did you mean" hints. @default true */
  introspection?: boolean;
  /** Run only these operations (TRUSTED_DOCUMENTS). @default undefined (any operation) */
  trustedDocuments?: TrustedDocuments | undefined;
  /** The instance's metrics; pass the one the engine's observer feeds. @default a new one */
  metrics?: Metrics;
  /**
   * Serve GET /metrics on this server (false when METRICS_PORT serves it on its own port). With `token`, only
   * `Authorization: Bearer <token>` is answered. @default { enabled: true }
   */
  metricsEndpoint?: { enabled: boolean; token?: string | undefined };
  /** The operations dashboard's options, e.g. the demo token in development. */
  dashboard?: DashboardOptions | undefined;
  /** Token subjects of platform operators (OPERATOR_SUBJECTS): database-wide health figures. @default [] */
  operatorSubjects?: readonly string[];
  /** HTTP timeouts and WebSocket caps (see connection-limits.ts). @default the settings' defaults */
  connections?: Partial<ConnectionLimits> | undefined;
}

export interface App {
  httpServer: Server;
  schema: GraphQLSchema;
  /** Listens and resolves with the bound URL of the GraphQL endpoint. */
  listen(port: number, host: string): Promise<string>;
  /**
   * Runs one operation in-process, authenticated exactly as over HTTP (tests and scripts); errors come back
   * masked as a client would see them.
   */
  execute(
    request: { query: string; variables?: Record<string, unknown> },
    authorization?: string,
  ): Promise<ExecutionResult>;
  /** Drains HTTP and WebSocket within the shutdown timeout; does not close the database. */
  close(): Promise<void>;
}

function makeContext(opts: AppOptions, viewer: Viewer, requestId: string): Context {
  const op = { organizationId: viewer.organizationId, actor: viewer.subject, requestId };
  const tenant = opts.engine.rowLevelSecurity ? { organizationId: viewer.organizationId } : undefined;
  // An HTTP request's statements from here on act for the viewer's organization (readScopeMiddleware opened the
  // scope); WebSocket and SSE operations and execute() enter it around execution (executeInReadScope).
  if (tenant) actFor(tenant);
  return {
    tenant,
    requestId,
    viewer,
    engine: opts.engine,
    op,
    loaders: new Loaders(opts.engine, op),
    log: opts.log.child({ requestId }),
    bulk: opts.bulk,
    maintenance: opts.maintenance!,
    operator: viewer.role === "ADMIN" && (opts.operatorSubjects ?? []).includes(viewer.subject),
  };
}

/** A tokenless request's context: enough to introspect; anything that needs the caller throws UNAUTHENTICATED. */
function anonymousContext(opts: AppOptions, requestId: string): Context {
  const refuse = () => {
    throw toGraphQLError(new UnauthenticatedError("missing Authorization: Bearer <token>"));
  };
  const ctx = { requestId, engine: opts.engine, log: opts.log.child({ requestId }), bulk: opts.bulk, anonymous: true };
  for (const key of ["viewer", "op", "loaders", "maintenance"]) Object.defineProperty(ctx, key, { get: refuse });
  return ctx as unknown as Context;
}

export async function createApp(opts: AppOptions): Promise<App> {
  const model = opts.model ?? MODEL;
  opts = {
    ...opts,
    maintenance:
      opts.maintenance ??
      new Maintenance(opts.engine, opts.handle, model.personalData ? { personalData: model.personalData } : {}),
  };
  const schema = await createSchema(model);
  const orgs = new OrganizationDirectory(opts.handle.db);
  const app = express();
  const connections = connectionLimits(opts.connections);
  const httpServer = createServer(httpServerOptions(connections), app);
  const maxBatch = opts.maxBatch ?? 1;
  const metrics = opts.metrics ?? new Metrics();
  metrics.observePool(opts.handle);
  const requestLog = new RequestLog(opts.log, { secret: opts.secret, infoPaths: [GRAPHQL_PATH] });

  app.disable("x-powered-by");
  app.use((req, res, next) => {
    const given = req.headers["x-request-id"];
    const id = typeof given === "string" && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.setHeader("x-request-id", id);
    next();
  });
  app.use(requestLog.middleware());
  app.use(cors(opts.corsOrigins ?? []));
  const metricsEndpoint = opts.metricsEndpoint ?? { enabled: true };
  if (metricsEndpoint.enabled) app.get(METRICS_PATH, metrics.handler(metricsEndpoint.token));
  app.get("/healthz", (_req, res) => void res.json({ status: "ok" }));
  app.get("/readyz", readinessHandler(opts.handle));
  mountIde(app, GRAPHQL_PATH, model, opts.ide);
  mountDashboard(app, opts.dashboard);

  const introspection = opts.introspection ?? true;
  const hideSuggestions = !introspection;
  // A connection lost while looking up the organization refuses the request as RETRYABLE, 503.
  const login = (authorization: unknown) =>
    authenticate(authorization, opts.secret, orgs).catch((err: unknown) => {
      throw translateConnectionLoss(err, 503);
    });
  const nodeTypes = model.names;
  const pipeline = {
    schema,
    limits: opts.limits,
    introspection,
    trusted: opts.trustedDocuments,
    log: opts.log,
    nodeTypes,
    quota: new SubscriptionQuota({
      perConnection: connections.maxSubscriptionsPerConnection,
      perSubject: connections.maxSubscriptionsPerSubject,
    }),
  };
  const ws = serveWebSocket(httpServer, GRAPHQL_PATH, {
    ...pipeline,
    authenticate: login,
    context: (viewer, requestId) => makeContext(opts, viewer, requestId),
    metrics,
    operations: new StreamOperations("websocket", metrics, requestLog),
    maxSocketsPerAddress: connections.maxSocketsPerAddress,
    connectionInitTimeoutMs: connections.connectionInitTimeoutMs,
  });

  const apollo = new ApolloServer<Context>({
    schema,
    csrfPrevention: true,
    introspection,
    hideSchemaDetailsFromClientErrors: hideSuggestions,
    parseOptions: { maxTokens: MAX_TOKENS },
    allowBatchedHttpRequests: maxBatch > 1,
    includeStacktraceInErrorResponses: false,
    // Trusted documents replace automatic persisted queries; otherwise Apollo's APQ cache serves hashes.
    ...(opts.trustedDocuments ? { persistedQueries: false as const } : {}),
    formatError: (formatted, error) => maskError(formatted, error, { hideSuggestions, nodeTypes }).formatted,
    // main.ts handles SIGTERM/SIGINT. Apollo's own handler would race ours, and a second stop() waits forever on
    // a barrier Apollo never resolves after a clean stop (what made an idle shutdown take the whole grace).
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: opts.shutdownTimeoutMs ?? 10_000 }),
      ApolloServerPluginLandingPageDisabled(),
      // No HTTP caching of authenticated, per-tenant answers; and it saves a hook per field.
      ApolloServerPluginCacheControlDisabled(),
      requestChecks(opts.limits),
      refusalStatus(),
      ...(opts.readCompiler === false
        ? []
        : [
            readCompilerPlugin(readModel(model, opts.engine.registry), (outcome) =>
              metrics.readCompiler.inc({ outcome }),
            ),
          ]),
      errorLogging(opts.log),
      metrics.apolloPlugin() as ApolloServerPlugin<Context>,
      requestLog.apolloPlugin(),
    ],
  });
  await apollo.start();

  const json = express.json({ limit: "1mb" });
  app.use(
    GRAPHQL_PATH + SSE_PATH_SUFFIX,
    json,
    sseHandler({
      ...pipeline,
      authenticate: login,
      context: (viewer, id) => makeContext(opts, viewer, id),
      metrics,
      operations: new StreamOperations("sse", metrics, requestLog),
    }),
  );
  app.use(
    GRAPHQL_PATH,
    json,
    (req, res, next) => {
      if (Array.isArray(req.body) && req.body.length > maxBatch) {
        const message = `at most ${maxBatch} operation(s) per request (GRAPHQL_MAX_BATCH)`;
        sendErrors(req, res, 400, [{ message, extensions: { code: "BAD_USER_INPUT" } }]);
        return;
      }
      next();
    },
    ...(opts.trustedDocuments ? [trustedDocumentsMiddleware(opts.trustedDocuments)] : []),
    readScopeMiddleware,
    expressMiddleware(apollo, {
      context: ({ req, res }) =>
        requestLog.track(res, async () => {
          const requestId = res.locals.requestId as string;
          if (introspection && req.headers.authorization === undefined) return anonymousContext(opts, requestId);
          // Apollo answers a GraphQLError thrown here with its HTTP status (401).
          const viewer = await login(req.headers.authorization).catch((err: unknown) => {
            throw asGraphQLError(err);
          });
          return makeContext(opts, viewer, requestId);
        }),
    }),
  );
  app.use(bodyErrorHandler(opts.log));

  let closing: Promise<void> | undefined;
  return {
    httpServer,
    schema,
    execute: async (request, authorization) => {
      let contextValue: Context;
      try {
        const viewer = await login(authorization);
        contextValue = makeContext(opts, viewer, randomUUID());
      } catch (err) {
        const error =
          err instanceof EngineError
            ? toGraphQLError(err)
            : toGraphQLError(new EngineError("INTERNAL_SERVER_ERROR", "Unexpected error."));
        return { errors: [maskError(error.toJSON(), error).formatted as GraphQLError] };
      }
      const response = await runAs(contextValue.tenant, () =>
        withReadScope(onlyQueries(request.query), () => apollo.executeOperation(request, { contextValue })),
      );
      if (response.body.kind !== "single") throw new Error("incremental delivery is not used here");
      return response.body.singleResult as ExecutionResult;
    },
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(port, host, () => {
          const addr = httpServer.address();
          const bound = typeof addr === "object" && addr ? addr.port : port;
          const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host;
          resolve(`http://${shownHost}:${bound}${GRAPHQL_PATH}`);
        });
      }),
    close: () => {
      closing ??= (async () => {
        const grace = opts.shutdownTimeoutMs ?? 10_000;
        // Tell WebSocket clients first (1001 Going Away), then drain HTTP within the grace period. Every step is
        // bounded: a peer that never answers a close must not hold the process.
        await within(Promise.resolve(ws.dispose()), 1000);
        await within(apollo.stop(), grace + 1000);
        for (const client of ws.wsServer.clients) client.terminate();
        await within(new Promise<void>((r) => ws.wsServer.close(() => r())), 1000);
        httpServer.closeAllConnections();
        if (httpServer.listening) await within(new Promise<void>((r) => httpServer.close(() => r())), 1000);
      })();
      return closing;
    },
  };
}

/** Resolves when `promise` settles or after `ms`, whichever comes first (rejections are ignored). */
function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((r) => (timer = setTimeout(r, ms)));
  return Promise.race([
    promise.then(
      () => {},
      () => {},
    ),
    timeout,
  ]).finally(() => clearTimeout(timer));
}
