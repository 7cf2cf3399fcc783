/**
 * `npm start`: validate the configuration, open and migrate the database, seed the demo on an empty one,
 * serve, and shut down cleanly on SIGTERM/SIGINT. A bad setting or an unreachable database stops start-up
 * with one line naming the problem and a non-zero exit.
 *
 * stdout carries the JSON log lines only; the human banner (URL, demo token) goes to stderr.
 */
import "reflect-metadata";
import { config as loadDotenv } from "dotenv";
import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { signToken } from "../auth/token.js";
import { ConfigError, introspectionEnabled, loadConfig } from "../config/load-config.js";
import type { Config } from "../config/settings.js";
import { connect, DatabaseUnavailableError } from "../db/connect.js";
import { migrate } from "../db/migrate.js";
import { rolePrivileges, tenantTables, unprotectedTables } from "../db/rls-checks.js";
import { MODEL } from "../domain/model.js";
import { seedDemo } from "../seed/demo.js";
import { combineObservers } from "../engine/observer.js";
import { createApp } from "./app.js";
import { listeningLine } from "./banner.js";
import { lifecycleLog } from "./lifecycle-log.js";
import { listenMetrics } from "./metrics-server.js";
import { Metrics } from "./metrics.js";
import { maintenanceOptions } from "./maintenance-options.js";
import { createServices } from "./services.js";
import { TrustedDocuments } from "./trusted-documents.js";

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function main() {
  loadDotenv({ quiet: true });
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(`Cannot start: invalid configuration: ${err.problems.join("; ")}`, 2);
    throw err;
  }
  const log = config.LOG_PRETTY
    ? pino({ level: config.LOG_LEVEL, transport: { target: "pino-pretty", options: { destination: 1 } } })
    : pino({ level: config.LOG_LEVEL });
  const metrics = new Metrics();
  const secret = config.AUTH_SECRET ?? randomBytes(32).toString("base64url");

  let handle;
  try {
    handle = await connect({
      url: config.DATABASE_URL,
      directUrl: config.DATABASE_DIRECT_URL,
      ownerUrl: config.DATABASE_OWNER_URL,
      replicaUrls: config.DATABASE_REPLICA_URLS,
      replicaMaxLagMs: config.REPLICA_MAX_LAG_MS,
      replicaCheckIntervalMs: config.REPLICA_CHECK_INTERVAL_MS,
      pgliteDir: config.PGLITE_DIR,
      poolMax: config.DATABASE_POOL_MAX,
      connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
      onConnectionError: (err) => log.warn({ err }, "a database connection was lost; the pool reconnects"),
    });
    await migrate(handle);
  } catch (err) {
    await handle?.close().catch(() => {});
    if (err instanceof DatabaseUnavailableError) fail(`Cannot start: ${err.message}`, 1);
    fail(
      `Cannot start: database migration failed: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`,
      1,
    );
  }

  if (handle.pool && config.ROW_LEVEL_SECURITY) {
    // What the request connections' login may do decides what row-level security can promise (README).
    const { role, bypasses, canActAsApp } = await rolePrivileges(handle.pool);
    const unprotected = await unprotectedTables(handle.db, tenantTables(MODEL));
    const problem = !canActAsApp
      ? `DATABASE_URL logs in as ${role}, which may not act as softdelete_app: GRANT softdelete_app TO ${role}`
      : config.DATABASE_OWNER_URL && bypasses.length
        ? `DATABASE_URL logs in as ${role}, which ${bypasses.join(" and ")}; with DATABASE_OWNER_URL set it must be a role that is a member of softdelete_app only`
        : unprotected.length
          ? `row-level security does not protect ${unprotected.join(", ")}: its migration must call softdelete_protect_tenant_table (README, Adding an entity)`
          : undefined;
    if (problem) {
      await handle.close().catch(() => {});
      fail(`Cannot start: ${problem}`, 1);
    }
    if (bypasses.length)
      log.warn(
        { role, bypasses },
        "DATABASE_URL's role can get past row-level security: SQL sent on its connections could RESET ROLE; set DATABASE_OWNER_URL and log in as a member of softdelete_app only (README, Tenant isolation in PostgreSQL)",
      );
  }

  let trustedDocuments: TrustedDocuments | undefined;
  try {
    trustedDocuments = config.TRUSTED_DOCUMENTS ? TrustedDocuments.load(config.TRUSTED_DOCUMENTS) : undefined;
  } catch (err) {
    await handle.close();
    fail(`Cannot start: ${(err as Error).message}`, 2);
  }

  const services = createServices(handle, {
    engine: {
      requireReason: config.REQUIRE_DELETION_REASON,
      maxReasonLength: config.MAX_REASON_LENGTH,
      cascade: config.CASCADE_SOFT_DELETE,
      maxCascadeDepth: config.MAX_CASCADE_DEPTH,
      observer: combineObservers(metrics.engineObserver, lifecycleLog(log)),
      rowLevelSecurity: config.ROW_LEVEL_SECURITY,
    },
    bulk: {
      batchSize: config.BULK_BATCH_SIZE,
      maxIds: config.BULK_MAX_IDS,
      pauseMs: config.BULK_BATCH_PAUSE_MS,
      concurrency: config.BULK_CONCURRENCY,
      log,
    },
    onError: (err) => log.error({ err }, "bulk event listener"),
    maintenance: { ...maintenanceOptions(config), log },
  });
  const { engine } = services;
  if (config.SEED_DEMO) {
    const seeded = await seedDemo(handle.db, engine);
    if (seeded.seeded) log.info({ organizations: seeded.organizations.map((o) => o.slug) }, "seeded demo data");
  }

  // Outside production the IDE opens with the demo token in its headers, but only for a loopback server.
  const demoToken =
    config.NODE_ENV !== "production"
      ? await signToken({ sub: "admin@demo.test", role: "ADMIN", org: "demo" }, secret, config.TOKEN_TTL)
      : undefined;
  const loopback = ["localhost", "127.0.0.1", "::1"].includes(config.HOST);
  const app = await createApp({
    ide: demoToken && loopback ? { initialHeaders: { authorization: `Bearer ${demoToken}` } } : undefined,
    handle,
    engine,
    bulk: services.bulk,
    maintenance: services.maintenance,
    secret,
    log,
    limits: {
      maxDepth: config.GRAPHQL_MAX_DEPTH,
      maxCost: config.GRAPHQL_MAX_COST,
      maxAliases: config.GRAPHQL_MAX_ALIASES,
      maxReasonLength: config.MAX_REASON_LENGTH,
      maxTextLength: config.MAX_TEXT_LENGTH,
    },
    maxBatch: config.GRAPHQL_MAX_BATCH,
    readCompiler: config.READ_COMPILER,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    corsOrigins: config.CORS_ORIGINS,
    introspection: introspectionEnabled(config),
    trustedDocuments,
    metrics,
    metricsEndpoint: { enabled: config.METRICS_PORT === undefined, token: config.METRICS_TOKEN },
    dashboard: demoToken && loopback ? { demoToken } : undefined,
    operatorSubjects: config.OPERATOR_SUBJECTS ?? [],
    connections: {
      headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxSocketsPerAddress: config.WS_MAX_SOCKETS_PER_ADDRESS,
      connectionInitTimeoutMs: config.WS_CONNECTION_INIT_TIMEOUT_MS,
      maxSubscriptionsPerConnection: config.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxSubscriptionsPerSubject: config.MAX_SUBSCRIPTIONS_PER_SUBJECT,
    },
  });
  let url: string;
  let metricsServer: Awaited<ReturnType<typeof listenMetrics>> | undefined;
  // Which setting names the port being opened, for the one line if it cannot be.
  let listening = { setting: "PORT", port: config.PORT };
  try {
    url = await app.listen(config.PORT, config.HOST);
    if (config.METRICS_PORT !== undefined) {
      listening = { setting: "METRICS_PORT", port: config.METRICS_PORT };
      metricsServer = await listenMetrics(metrics, config.METRICS_PORT, config.HOST, config.METRICS_TOKEN);
    }
  } catch (err) {
    // Bounded: nothing may keep a process that cannot serve from exiting.
    await Promise.race([
      Promise.allSettled([app.close(), services.close(), handle.close()]),
      new Promise((r) => setTimeout(r, 2000).unref()),
    ]);
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "EADDRINUSE" ? "the port is in use" : err instanceof Error ? err.message : String(err);
    fail(`Cannot start: cannot listen on ${config.HOST}:${listening.port} (${listening.setting}): ${why}`, 1);
  }

  services.runner.start();
  services.purge.start();
  const database = handle.kind === "pglite" ? `embedded PGlite (${config.PGLITE_DIR})` : "PostgreSQL";
  const banner = (text: string) => void process.stderr.write(text);
  const base = url.replace(/\/graphql$/, "");
  banner(`\n${listeningLine(url, database)}\n`);
  banner(`Operations dashboard: ${base}/dashboard   Metrics: ${metricsServer?.url ?? `${base}/metrics`}\n`);
  log.info({ url, database: handle.kind, metrics: metricsServer?.url ?? `${base}/metrics` }, "listening");
  if (demoToken) {
    const token = demoToken;
    banner(`Demo ADMIN token (subject admin@demo.test, organization "demo"):\n  ${token}\n\n`);
    banner(
      `Try it:\n  export TOKEN=${token}\n  curl -s ${url} -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\\n    -d '{"query":"{ viewer { subject role organization { slug } } }"}'\n\n`,
    );
    if (!config.AUTH_SECRET) banner("AUTH_SECRET is unset: this secret lives only as long as this process.\n\n");
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    const deadline = setTimeout(() => {
      log.error("shutdown timed out; exiting");
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS + 5000);
    deadline.unref();
    const t0 = Date.now();
    await Promise.all([app.close(), metricsServer?.close()]);
    log.debug({ ms: Date.now() - t0 }, "http and websocket drained");
    await services.close();
    log.debug({ ms: Date.now() - t0 }, "background work stopped");
    await handle.close();
    log.info({ ms: Date.now() - t0 }, "stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((err) => {
  process.stderr.write(`Cannot start: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}\n`);
  process.exit(1);
});
