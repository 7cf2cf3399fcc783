/**
 * Every setting the server reads, declared once: its variable, what it accepts, its default and its meaning.
 * README's configuration table is generated from this list (`npm run docs:config`) and a test keeps the two
 * in step.
 */
import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"], { message: "expected true or false" })
  .transform((v) => v === "true" || v === "1" || v === "yes");
const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, { message: `expected a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { message: `expected a whole number from ${min} to ${max}` })
        .max(max, {
          message: `expected a whole number from ${min} to ${max}`,
        }),
    );
const postgresUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "postgres:" || u.protocol === "postgresql:") && u.hostname !== "";
    } catch {
      return false;
    }
  },
  { message: "expected a URL like postgres://user:password@host:5432/database" },
);
/** Durations like `30s`, `15m`, `6h`, `1d`, or `off`; parsed to milliseconds (0 = off). */
const duration = z
  .string()
  .regex(/^(off|0|\d+(ms|s|m|h|d))$/, { message: "expected off or a duration like 30s, 15m, 6h, 1d" })
  .transform((v) => {
    if (v === "off" || v === "0") return 0;
    const m = /^(\d+)(ms|s|m|h|d)$/.exec(v)!;
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "ms"];
    return Number(m[1]) * unit;
  });
/** A duration that must be positive (no `off`). */
const positiveDuration = z
  .string()
  .regex(/^[1-9]\d*(ms|s|m|h|d)$/, { message: "expected a positive duration like 30m, 12h, 7d" })
  .pipe(duration);
/** A share from 0 to 1, like `0.3`. */
const ratio = z
  .string()
  .regex(/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, { message: "expected a number from 0 to 1, like 0.3" })
  .transform(Number);
/** `Type=days` pairs separated by commas, like `Task=30,User=365`; parsed to a record. */
const daysPerType = z
  .string()
  .regex(/^\s*[A-Za-z]\w*\s*=\s*\d{1,5}\s*(,\s*[A-Za-z]\w*\s*=\s*\d{1,5}\s*)*$/, {
    message: "expected Type=days pairs separated by commas, like Task=30,User=365",
  })
  .transform((v) =>
    Object.fromEntries(
      v.split(",").map((pair) => {
        const [type, days] = pair.split("=").map((x) => x.trim());
        return [type!, Number(days)];
      }),
    ),
  );

/** Origins separated by commas, like `http://localhost:5173,https://app.example.com`, or `*`; parsed to a list. */
const originList = z
  .string()
  .transform((v) =>
    v
      .split(",")
      .map((o) => o.trim())
      .filter(Boolean),
  )
  .refine(
    (list) =>
      list.length > 0 &&
      list.every((o) => {
        if (o === "*") return true;
        try {
          const u = new URL(o);
          return (u.protocol === "http:" || u.protocol === "https:") && u.origin === o;
        } catch {
          return false;
        }
      }),
    {
      message: "expected origins like http://localhost:5173 (scheme, host and port; no path) separated by commas, or *",
    },
  );

interface Setting<S extends z.ZodType> {
  schema: S;
  /** The default as written in the environment; undefined = unset unless given. */
  default?: string;
  /** A default that depends on other variables (as given in the environment); wins over `default`. */
  defaultFrom?: (env: NodeJS.ProcessEnv) => string;
  /** How the README table shows a `defaultFrom` default. */
  defaultDoc?: string;
  group: string;
  doc: string;
  /** A credential: error messages give its length, never its value. */
  secret?: boolean;
}
const setting = <S extends z.ZodType>(s: Setting<S>) => s;

export const SETTINGS = {
  DATABASE_URL: setting({
    schema: postgresUrl.optional(),
    group: "Database",
    doc: "PostgreSQL connection URL. Unset: the embedded PGlite database in `PGLITE_DIR`.",
  }),
  PGLITE_DIR: setting({
    schema: z.string().min(1),
    default: "./.data/pglite",
    group: "Database",
    doc: "Where the embedded PGlite keeps its files when `DATABASE_URL` is unset; `memory://` keeps nothing.",
  }),
  DATABASE_POOL_MAX: setting({
    schema: int(1, 1000),
    default: "10",
    group: "Database",
    doc: "Largest number of PostgreSQL connections one instance opens.",
  }),
  DATABASE_CONNECT_TIMEOUT_MS: setting({
    schema: int(100, 600_000),
    default: "5000",
    group: "Database",
    doc: "How long start-up waits for PostgreSQL to answer before it gives up.",
  }),
  // Production topology (issue 16): a pooler in front of the primary, and streaming replicas for reads.
  DATABASE_DIRECT_URL: setting({
    schema: postgresUrl.optional(),
    group: "Topology",
    doc: "PostgreSQL URL of the primary itself, not a pooler, for what needs a session of its own: LISTEN, advisory locks, migrations. Unset: `DATABASE_URL`. Set it when `DATABASE_URL` points at PgBouncer in transaction mode.",
  }),
  DATABASE_REPLICA_URLS: setting({
    schema: z
      .string()
      .transform((v) =>
        v
          .split(",")
          .map((u) => u.trim())
          .filter(Boolean),
      )
      .pipe(z.array(postgresUrl))
      .optional(),
    group: "Topology",
    doc: "Comma-separated URLs of streaming replicas. Reads that tolerate staleness (lists, relations, `node`, `healthReport` counts) go to one of them; writes, reads in a mutation or after the request's own write, bulk and purge work go to the primary.",
  }),
  REPLICA_MAX_LAG_MS: setting({
    schema: int(0, 3_600_000),
    default: "5000",
    group: "Topology",
    doc: "A replica further behind the primary than this (replay lag) is skipped until it catches up; the primary serves its reads.",
  }),
  REPLICA_CHECK_INTERVAL_MS: setting({
    schema: int(100, 600_000),
    default: "1000",
    group: "Topology",
    doc: "How often each replica's lag and reachability are checked (`/readyz` reports the last check). A read may be up to `REPLICA_MAX_LAG_MS` plus this stale.",
  }),
  HOST: setting({
    schema: z.string().min(1),
    default: "localhost",
    group: "Server",
    doc: "Interface the HTTP server binds.",
  }),
  PORT: setting({
    schema: int(0, 65535),
    default: "4000",
    group: "Server",
    doc: "HTTP and WebSocket port (0 = any free port).",
  }),
  NODE_ENV: setting({
    schema: z.enum(["development", "production", "test"]),
    default: "development",
    group: "Server",
    doc: "`production` requires `AUTH_SECRET` and hides error details from clients.",
  }),
  SHUTDOWN_TIMEOUT_MS: setting({
    schema: int(0, 600_000),
    default: "10000",
    group: "Server",
    doc: "How long SIGTERM/SIGINT wait for requests and sockets to drain before closing them.",
  }),
  HTTP_HEADERS_TIMEOUT_MS: setting({
    schema: int(1000, 600_000),
    default: "10000",
    group: "Server",
    doc: "Longest wait for a request's headers, from the connection's start or the previous response: slow-header (slowloris) and idle sockets are closed after it.",
  }),
  HTTP_REQUEST_TIMEOUT_MS: setting({
    schema: int(1000, 600_000),
    default: "30000",
    group: "Server",
    doc: "Longest wait for a whole request (headers and body) to arrive; at least `HTTP_HEADERS_TIMEOUT_MS`. Streams already answering (SSE) are not cut.",
  }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: setting({
    schema: int(0, 600_000),
    default: "5000",
    group: "Server",
    doc: "How long a kept-alive connection may sit idle between requests.",
  }),
  WS_MAX_SOCKETS_PER_ADDRESS: setting({
    schema: int(1, 100_000),
    default: "50",
    group: "Server",
    doc: "WebSockets one client address may hold open at once; more upgrades get 429. Behind a proxy every client shares its address: raise it there.",
  }),
  WS_CONNECTION_INIT_TIMEOUT_MS: setting({
    schema: int(100, 600_000),
    default: "5000",
    group: "Server",
    doc: "How long a WebSocket may stay open without a `connection_init` (its token); then it is closed with 4408.",
  }),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: setting({
    schema: int(1, 10_000),
    default: "20",
    group: "Server",
    doc: "Subscriptions one WebSocket may run at once; one more is answered LIMIT_EXCEEDED (the socket carries on).",
  }),
  MAX_SUBSCRIPTIONS_PER_SUBJECT: setting({
    schema: int(1, 100_000),
    default: "50",
    group: "Server",
    doc: "Subscriptions one token subject may run at once on an instance, over WebSocket and SSE together; one more is answered LIMIT_EXCEEDED.",
  }),
  SEED_DEMO: setting({
    schema: bool,
    defaultFrom: (env) => (env.NODE_ENV === "production" ? "false" : "true"),
    defaultDoc: "`true` (`false` when `NODE_ENV=production`)",
    group: "Server",
    doc: "Seed the demo organizations `demo` and `acme` on first start against an empty database.",
  }),
  GRAPHQL_MAX_DEPTH: setting({
    schema: int(1, 100),
    default: "12",
    group: "Server",
    doc: "Deepest selection a query may have; deeper ones are rejected before execution.",
  }),
  GRAPHQL_MAX_COST: setting({
    schema: int(1, 100_000_000),
    default: "200000",
    group: "Server",
    doc: "Largest estimated cost of a query (each field 1, a connection 10, plus 50 when it selects `totalCount`, plus its edges times `first`; `healthReport`/`auditIntegrity` 20,000, `deletionPreview` 1,000); rejected before execution.",
  }),
  GRAPHQL_MAX_ALIASES: setting({
    schema: int(1, 10_000),
    default: "100",
    group: "Server",
    doc: "Most names (aliases) one field may be selected under in one selection set (batched `node` fetches use a few dozen); more are rejected before execution.",
  }),
  GRAPHQL_MAX_BATCH: setting({
    schema: int(1, 100),
    default: "1",
    group: "Server",
    doc: "Most operations one HTTP request may carry (1 = batching off).",
  }),
  CORS_ORIGINS: setting({
    schema: originList.optional(),
    group: "Clients",
    doc: "Origins whose browser pages may call the API (CORS, with credentials; `x-request-id` readable), e.g. `http://localhost:5173,https://app.example.com`; `*` allows any origin and is refused when `NODE_ENV=production`. Unset: same origin only.",
  }),
  INTROSPECTION: setting({
    schema: bool.optional(),
    group: "Clients",
    doc: 'Schema introspection on every transport, without a token over HTTP (so `graphql-codegen` can read the schema); off also drops "Did you mean" hints from errors. Unset: on outside production, off with `NODE_ENV=production`.',
  }),
  TRUSTED_DOCUMENTS: setting({
    schema: z.string().min(1).optional(),
    group: "Clients",
    doc: "Path of a trusted-documents manifest (`npm run codegen` writes `examples/gql/persisted-documents.json`): only its operations run, named by hash; any other gets `PERSISTED_QUERY_NOT_FOUND`.",
  }),
  READ_COMPILER: setting({
    schema: z.enum(["on", "off"], { message: "expected on or off" }).transform((v) => v === "on"),
    default: "on",
    group: "Server",
    doc: "`on`: a query whose every root field compiles is answered by one SQL statement per root field, its JSON built by PostgreSQL; anything else runs through the resolvers. `off`: every operation runs through the resolvers and their DataLoaders (same answers, more statements).",
  }),
  MAX_REASON_LENGTH: setting({
    schema: int(1, 100_000),
    default: "1000",
    group: "Limits",
    doc: "Longest `reason` (softDelete, bulk deletes, eraseUser), in characters; longer is refused with BAD_USER_INPUT. It goes into the append-only audit trail.",
  }),
  MAX_TEXT_LENGTH: setting({
    schema: int(1, 1_000_000),
    default: "10000",
    group: "Limits",
    doc: "Longest other string argument or input field (titles, descriptions, comment bodies, ids), in characters; longer is refused with BAD_USER_INPUT.",
  }),
  AUTH_SECRET: setting({
    schema: z.string().min(32, { message: "expected at least 32 characters" }).optional(),
    secret: true,
    group: "Auth",
    doc: "HS256 secret for bearer tokens. Unset outside production: a random one per start (the demo token is printed).",
  }),
  TOKEN_TTL: setting({
    schema: positiveDuration,
    default: "12h",
    group: "Auth",
    doc: "Lifetime of tokens made by `npm run token` and the printed demo token.",
  }),
  REQUIRE_DELETION_REASON: setting({
    schema: bool,
    default: "false",
    group: "Soft delete",
    doc: "Refuse `softDelete` and bulk deletes without a reason.",
  }),
  HARD_DELETE_AFTER_DAYS: setting({
    schema: int(0, 36_500),
    default: "90",
    group: "Soft delete",
    doc: "Retention: soft-deleted rows older than this may be purged (0 keeps them forever).",
  }),
  CASCADE_SOFT_DELETE: setting({
    schema: bool,
    default: "true",
    group: "Soft delete",
    doc: "Apply CASCADE policies; `false` makes every CASCADE relation behave as RESTRICT.",
  }),
  MAX_CASCADE_DEPTH: setting({
    schema: int(1, 1000),
    default: "10",
    group: "Soft delete",
    doc: "Deepest cascade (levels below the deleted row); a deeper one is refused with RESTRICTED and changes nothing.",
  }),
  RETENTION_DAYS_OVERRIDES: setting({
    schema: daysPerType.optional(),
    group: "Retention",
    doc: "Retention per entity type, replacing `HARD_DELETE_AFTER_DAYS` for it, e.g. `Task=30,User=365` (0 keeps forever). A row is purged only when it and every deleted row that goes with it are past their own retention.",
  }),
  PURGE_INTERVAL: setting({
    schema: duration,
    default: "off",
    group: "Retention",
    doc: "How often each instance runs the retention purge (e.g. `1d`); `off` never. One instance purges at a time (an advisory lock); the first run comes within a minute of start-up.",
  }),
  PURGE_BATCH_SIZE: setting({
    schema: int(1, 100_000),
    default: "500",
    group: "Retention",
    doc: "Purge roots per transaction; each goes with its whole deleted subtree, so an interrupted purge leaves no half-deleted subtree.",
  }),
  OPERATOR_SUBJECTS: setting({
    schema: z
      .string()
      .transform((v) =>
        v
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      )
      .optional(),
    group: "Health",
    doc: "Token subjects (comma-separated) of the platform's operators: their ADMIN tokens get `healthReport` for the whole database. Everyone else's `healthReport` covers their own organization only.",
  }),
  HEALTH_EXACT_COUNT_MAX_ROWS: setting({
    schema: int(0, 2_000_000_000),
    default: "100000",
    group: "Health",
    doc: "`healthReport` counts rows exactly in tables the planner expects to hold at most this many rows, and gives planner estimates (marked so) above.",
  }),
  HEALTH_DELETED_RATIO_THRESHOLD: setting({
    schema: ratio,
    default: "0.3",
    group: "Health",
    doc: "A deleted share of a table above this (0 to 1) makes `healthReport` recommend purging or archiving.",
  }),
  HEALTH_DEAD_TUPLES_THRESHOLD: setting({
    schema: int(0, 2_000_000_000),
    default: "10000",
    group: "Health",
    doc: "More dead tuples than this in a table makes `healthReport` recommend VACUUM.",
  }),
  BULK_BATCH_SIZE: setting({
    schema: int(1, 100_000),
    default: "1000",
    group: "Bulk",
    doc: "Rows per batch (one transaction each) in bulk operations.",
  }),
  BULK_MAX_IDS: setting({
    schema: int(1, 1_000_000),
    default: "10000",
    group: "Bulk",
    doc: "Most ids one bulk request may name.",
  }),
  BULK_BATCH_PAUSE_MS: setting({
    schema: int(0, 60_000),
    default: "0",
    group: "Bulk",
    doc: "Pause between a bulk operation's batches, to bound its load on the database.",
  }),
  BULK_CONCURRENCY: setting({
    schema: int(1, 100),
    default: "2",
    group: "Bulk",
    doc: "Bulk operations one instance works at the same time (each by one instance only).",
  }),
  ROW_LEVEL_SECURITY: setting({
    schema: bool,
    default: "true",
    group: "Security",
    doc: "Every transaction acts as the role `softdelete_app` for its organization, so PostgreSQL's row-level security admits that organization's rows only. `false` only to measure its cost, with a superuser or BYPASSRLS connection role (any other sees no rows).",
  }),
  DATABASE_OWNER_URL: setting({
    schema: postgresUrl.optional(),
    group: "Security",
    doc: "PostgreSQL URL of the tables' owner, straight to the primary: migrations, the demo seed and the work across organizations (purge of every organization, bulk operations' polling, healthReport's statistics, audit:verify) use it. Set it, with `DATABASE_URL` logging in as a role that is a member of `softdelete_app` only, and nothing sent on the server's request connections can get past row-level security (README, \"Tenant isolation in PostgreSQL\"); start-up then refuses a `DATABASE_URL` role that could. Unset: `DATABASE_URL` does everything.",
  }),
  LOG_LEVEL: setting({
    schema: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
    default: "info",
    group: "Logging",
    doc: "Least severe log level written (JSON lines on stdout; GraphQL requests at `info`, probes and static files at `debug`).",
  }),
  LOG_PRETTY: setting({
    schema: bool,
    default: "false",
    group: "Logging",
    doc: "Human-readable colored log lines instead of JSON (needs the `pino-pretty` dev dependency; for development only).",
  }),
  METRICS_PORT: setting({
    schema: int(1, 65535).optional(),
    group: "Metrics",
    doc: "Serve `GET /metrics` on this port (on `HOST`) instead of the API port, e.g. `9464`, to keep it off a public listener.",
  }),
  METRICS_TOKEN: setting({
    schema: z.string().min(16, { message: "expected at least 16 characters" }).optional(),
    secret: true,
    group: "Metrics",
    doc: "When set, `GET /metrics` answers only `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise).",
  }),
} as const;

export type SettingName = keyof typeof SETTINGS;
export type Config = { [K in SettingName]: z.output<(typeof SETTINGS)[K]["schema"]> };

/**
 * A setting's default, parsed by its own schema: where code needs a default (an option left out by a test,
 * a script or a bench), it reads it here, so each default is written once, in `SETTINGS`.
 * @example defaultOf("MAX_CASCADE_DEPTH") // 10
 */
export function defaultOf<N extends SettingName>(name: N): Config[N] {
  const s = SETTINGS[name] as { schema: z.ZodType; default?: string };
  return s.schema.parse(s.default) as Config[N];
}
