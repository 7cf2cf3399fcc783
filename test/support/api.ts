/**
 * A real server per test file: its own database (PGlite or a PostgreSQL copy), demo data seeded, listening
 * on port 0. `exec` runs in-process through Apollo (authenticated exactly as over HTTP); `http` and the
 * WebSocket helpers go over the wire.
 */
import { pino, type Logger } from "pino";
import type { ExecutionResult } from "graphql";
import { signToken } from "../../src/auth/token.js";
import type { Role } from "../../src/auth/roles.js";
import type { DomainModel } from "../../src/domain/domain-model.js";
import type { RunnerOptions } from "../../src/engine/bulk/index.js";
import type { EngineOptions, SoftDeleteEngine } from "../../src/engine/engine.js";
import type { MaintenanceOptions } from "../../src/engine/maintenance.js";
import { createServices, type Services } from "../../src/server/services.js";
import { createApp, type App, type AppOptions } from "../../src/server/app.js";
import type { TrustedDocuments } from "../../src/server/trusted-documents.js";
import { Metrics } from "../../src/server/metrics.js";
import { combineObservers, type EngineObserver } from "../../src/engine/observer.js";
import { connect } from "../../src/db/connect.js";
import { openTestDatabase, type TestDatabase } from "./db.js";
import type { Limits } from "../../src/graphql/limits.js";

/** The server's defaults (GRAPHQL_MAX_DEPTH, GRAPHQL_MAX_COST, GRAPHQL_MAX_ALIASES, MAX_REASON_LENGTH, MAX_TEXT_LENGTH). */
export const TEST_LIMITS: Limits = {
  maxDepth: 12,
  maxCost: 200_000,
  maxAliases: 100,
  maxReasonLength: 1000,
  maxTextLength: 10_000,
};

export const TEST_SECRET = "test-secret-test-secret-test-secret-0123";

export interface TestApi {
  db: TestDatabase;
  app: App;
  engine: SoftDeleteEngine;
  services: Services;
  url: string;
  /** A bearer header value for this role/org/subject. */
  auth(role?: Role, org?: string, sub?: string): Promise<string>;
  /** In-process execution with the given Authorization value (default: ADMIN of "demo"). */
  exec<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    authorization?: string | null,
  ): Promise<ExecutionResult<T>>;
  /** Over HTTP. */
  http<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    authorization?: string | null,
  ): Promise<{ status: number; body: ExecutionResult<T> }>;
  close(): Promise<void>;
}

export interface TestApiOptions {
  /** The entities served. @default the example domain */
  model?: DomainModel;
  engine?: EngineOptions;
  bulk?: RunnerOptions & { maxIds?: number };
  /** false: do not start the bulk runner (operations stay PENDING until `services.runner.start()`). */
  runner?: boolean;
  limits?: Partial<Limits>;
  maxBatch?: number;
  /** Health thresholds, retention, purge batch size. */
  maintenance?: MaintenanceOptions;
  /** Token subjects of platform operators (OPERATOR_SUBJECTS). */
  operatorSubjects?: string[];
  /** PostgreSQL only: a second instance on the first one's database (its own pool), as another server would be. */
  join?: TestApi;
  /** With `join`: this instance reads from these streaming replicas (see test/server/replicas.test.ts). */
  replicas?: { urls: string[]; maxLagMs: number; checkIntervalMs: number };
  /** The server's logger. @default silent */
  log?: Logger;
  corsOrigins?: string[];
  /** @default true */
  introspection?: boolean;
  trustedDocuments?: TrustedDocuments;
  /** Also told what the engine does (besides the metrics). */
  observer?: EngineObserver;
  /** Passed to createApp as given (dashboard, metrics endpoint, shutdown timeout). */
  app?: Partial<AppOptions>;
}

export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const db = options.join
    ? await joinDatabase(options.join.db, options.replicas)
    : await openTestDatabase({ seeded: true });
  const metrics = new Metrics({ processMetrics: false });
  const services = createServices(db, {
    ...(options.model ? { model: options.model } : {}),
    engine: { ...options.engine, observer: combineObservers(metrics.engineObserver, options.observer) },
    bulk: { pollMs: 200, ...options.bulk },
    ...(options.maintenance ? { maintenance: options.maintenance } : {}),
  });
  const { engine } = services;
  if (options.runner !== false) services.runner.start();
  const app = await createApp({
    handle: db,
    model: services.model,
    engine,
    bulk: services.bulk,
    maintenance: services.maintenance,
    secret: TEST_SECRET,
    log: options.log ?? pino({ level: "silent" }),
    corsOrigins: options.corsOrigins,
    ...(options.introspection !== undefined ? { introspection: options.introspection } : {}),
    trustedDocuments: options.trustedDocuments,
    limits: { ...TEST_LIMITS, ...options.limits },
    maxBatch: options.maxBatch ?? 1,
    shutdownTimeoutMs: 2000,
    metrics,
    ...options.app,
    operatorSubjects: options.operatorSubjects ?? [],
  });
  const url = await app.listen(0, "127.0.0.1");
  const auth = async (role: Role = "ADMIN", org = "demo", sub = `admin@${org}.test`) =>
    `Bearer ${await signToken({ sub, role, org }, TEST_SECRET, 3_600_000)}`;
  const defaultAuth = await auth();
  db.statements.length = 0;
  return {
    db,
    app,
    engine,
    services,
    url,
    auth,
    exec: (query, variables, authorization) =>
      app.execute(
        { query, ...(variables ? { variables } : {}) },
        authorization === null ? undefined : (authorization ?? defaultAuth),
      ) as never,
    http: async (query, variables, authorization) => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      const a = authorization === null ? undefined : (authorization ?? defaultAuth);
      if (a) headers.authorization = a;
      const res = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
      return { status: res.status, body: (await res.json()) as never };
    },
    close: async () => {
      await app.close();
      await services.close();
      await db.close();
    },
  };
}

/**
 * A second server on `api`'s database and services with the read compiler off: every operation runs through the
 * resolvers and their DataLoaders (READ_COMPILER=off). Not listening; use `execute`.
 */
export async function startResolversApp(api: TestApi, limits: Limits = TEST_LIMITS): Promise<App> {
  return createApp({
    handle: api.db,
    model: api.services.model,
    engine: api.engine,
    bulk: api.services.bulk,
    maintenance: api.services.maintenance,
    secret: TEST_SECRET,
    log: pino({ level: "silent" }),
    limits,
    readCompiler: false,
  });
}

/** Another connection pool on an existing test database; closing it leaves the database alone. */
async function joinDatabase(other: TestDatabase, replicas?: TestApiOptions["replicas"]): Promise<TestDatabase> {
  if (!other.url) throw new Error("join needs PostgreSQL: PGlite is one in-process database");
  const statements: string[] = [];
  const handle = await connect({
    url: other.url,
    directUrl: other.directUrl,
    ...(replicas
      ? {
          replicaUrls: replicas.urls,
          replicaMaxLagMs: replicas.maxLagMs,
          replicaCheckIntervalMs: replicas.checkIntervalMs,
        }
      : {}),
    poolMax: 8,
    logger: { logQuery: (q: string) => void statements.push(q) },
  });
  return { ...handle, statements, url: other.url, directUrl: other.directUrl! };
}
