/**
 * The HTTP and WebSocket server: express 5 + Apollo Server 5 on /graphql, graphql-ws on the same path,
 * the offline IDE, and /healthz + /readyz. Built from its dependencies so tests start it on port 0.
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
import { GraphQLError, parse, type ExecutionResult, type GraphQLSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import type { Logger } from "pino";
import { WebSocketServer } from "ws";
import type { DatabaseHandle } from "../db/database.js";
import { withReadScope } from "../db/read-scope.js";
import type { SoftDeleteEngine } from "../engine/engine.js";
import { Maintenance } from "../engine/maintenance.js";
import { PERSONAL_DATA } from "../domain/personal-data.js";
import type { BulkServices, Context, Viewer } from "../graphql/context.js";
import { ApiError, UnauthenticatedError } from "../graphql/errors.js";
import { checkLimits, type Limits } from "../graphql/limits.js";
import { Loaders } from "../graphql/loaders.js";
import { maskError } from "../graphql/mask-error.js";
import { createSchema } from "../graphql/schema.js";
import { authenticate } from "./authenticate.js";
import { mountIde, type IdeOptions } from "./ide.js";
import { OrganizationDirectory } from "./organizations.js";
import { readinessHandler } from "./readiness.js";
import { executeInReadScope, onlyQueries, readScopeMiddleware } from "./read-routing.js";

export const GRAPHQL_PATH = "/graphql";

export interface AppOptions {
  handle: DatabaseHandle;
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
  return {
    requestId,
    viewer,
    engine: opts.engine,
    op,
    loaders: new Loaders(opts.engine, op),
    log: opts.log.child({ requestId }),
    bulk: opts.bulk,
    maintenance: opts.maintenance!,
  };
}

/** Logs unexpected errors with the request id; masking itself happens in formatError. */
function errorLogging(log: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const { unexpected } = maskError({ message: error.message }, error);
            if (unexpected) (contextValue?.log ?? log).error({ err: unexpected }, "unexpected error");
          }
        },
      };
    },
  };
}

function limitsPlugin(limits: Limits): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, schema }) {
          checkLimits(schema, document, request.variables, request.operationName, limits);
        },
      };
    },
  };
}

export async function createApp(opts: AppOptions): Promise<App> {
  opts = {
    ...opts,
    maintenance: opts.maintenance ?? new Maintenance(opts.engine, opts.handle, { personalData: PERSONAL_DATA }),
  };
  const schema = await createSchema();
  const orgs = new OrganizationDirectory(opts.handle.db);
  const app = express();
  const httpServer = createServer(app);
  const maxBatch = opts.maxBatch ?? 1;

  app.disable("x-powered-by");
  app.use((req, res, next) => {
    const given = req.headers["x-request-id"];
    const id = typeof given === "string" && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.setHeader("x-request-id", id);
    next();
  });
  app.get("/healthz", (_req, res) => void res.json({ status: "ok" }));
  app.get("/readyz", readinessHandler(opts.handle));
  mountIde(app, GRAPHQL_PATH, opts.ide);

  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH });
  const wsCleanup = useServer<Record<string, unknown>, { viewer?: Viewer }>(
    {
      schema,
      execute: executeInReadScope,
      onConnect: async (ctx) => {
        try {
          const params = ctx.connectionParams ?? {};
          ctx.extra.viewer = await authenticate(params.authorization ?? params.Authorization, opts.secret, orgs);
          return true;
        } catch (err) {
          const reason = err instanceof UnauthenticatedError ? err.message : "authentication failed";
          ctx.extra.socket.close(4401, `UNAUTHENTICATED: ${reason}`.slice(0, 120));
          return false;
        }
      },
      context: (ctx) => makeContext(opts, ctx.extra.viewer!, randomUUID()),
      onSubscribe: (_ctx, _id, payload) => {
        // Limits are checked before execution, as over HTTP.
        try {
          checkLimits(schema, parse(payload.query), payload.variables ?? undefined, payload.operationName, opts.limits);
        } catch (err) {
          const error = err instanceof GraphQLError ? err : new ApiError("BAD_USER_INPUT", "invalid query");
          return [maskError(error.toJSON(), error).formatted as GraphQLError];
        }
        return undefined;
      },
      onNext: (_ctx, _id, _payload, args, result) =>
        maskResult(result as ExecutionResult, opts.log, args.contextValue as Context),
    },
    wsServer,
  );

  const apollo = new ApolloServer<Context>({
    schema,
    csrfPrevention: true,
    allowBatchedHttpRequests: maxBatch > 1,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => maskError(formatted, error).formatted,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: opts.shutdownTimeoutMs ?? 10_000 }),
      ApolloServerPluginLandingPageDisabled(),
      // No HTTP caching of authenticated, per-tenant answers; and it saves a hook per field.
      ApolloServerPluginCacheControlDisabled(),
      limitsPlugin(opts.limits),
      errorLogging(opts.log),
    ],
  });
  await apollo.start();

  app.use(
    GRAPHQL_PATH,
    express.json({ limit: "1mb" }),
    (req, res, next) => {
      if (Array.isArray(req.body) && req.body.length > maxBatch) {
        res.status(400).json({
          errors: [
            {
              message: `at most ${maxBatch} operation(s) per request (GRAPHQL_MAX_BATCH)`,
              extensions: { code: "BAD_USER_INPUT" },
            },
          ],
        });
        return;
      }
      next();
    },
    readScopeMiddleware,
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const viewer = await authenticate(req.headers.authorization, opts.secret, orgs);
        return makeContext(opts, viewer, res.locals.requestId as string);
      },
    }),
  );

  let closing: Promise<void> | undefined;
  return {
    httpServer,
    schema,
    execute: async (request, authorization) => {
      let contextValue: Context;
      try {
        const viewer = await authenticate(authorization, opts.secret, orgs);
        contextValue = makeContext(opts, viewer, randomUUID());
      } catch (err) {
        const error = err instanceof GraphQLError ? err : new ApiError("INTERNAL_SERVER_ERROR", "Unexpected error.");
        return { errors: [maskError(error.toJSON(), error).formatted as GraphQLError] };
      }
      const response = await withReadScope(onlyQueries(request.query), () =>
        apollo.executeOperation(request, { contextValue }),
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
        await within(Promise.resolve(wsCleanup.dispose()), 1000);
        await within(apollo.stop(), grace + 1000);
        for (const client of wsServer.clients) client.terminate();
        await within(new Promise<void>((r) => wsServer.close(() => r())), 1000);
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

function maskResult(result: ExecutionResult, log: Logger, ctx: Context | undefined): ExecutionResult {
  if (!result.errors?.length) return result;
  const errors = result.errors.map((e) => {
    const { formatted, unexpected } = maskError(e.toJSON(), e);
    if (unexpected) (ctx?.log ?? log).error({ err: unexpected }, "unexpected error");
    return formatted;
  });
  return { ...result, errors } as unknown as ExecutionResult;
}
