/**
 * Which PostgreSQL `npm test` runs the PostgreSQL project on, decided once per run when vitest loads its config:
 * 1. `TEST_DATABASE_URL`, when set;
 * 2. else a throwaway container (see postgres-container.ts), when a container runtime answers;
 * 3. else none: the suite runs on PGlite alone and the PostgreSQL-only tests are skipped, said once.
 * `TEST_POSTGRES=off|container|url` forces a choice; a forced choice that cannot be had is an error, never a
 * silent fallback. The container itself is started by the project's global setup (`startPostgres`), so it lives
 * exactly as long as the run.
 */
export type PostgresChoice =
  | { source: "url"; url: string; note: string }
  | { source: "container"; note: string }
  | { source: "off"; note: string };

export interface RunningPostgres {
  /** A superuser URL on the server: test databases are created and dropped through it. */
  url: string;
  /** Releases what `startPostgres` started (the container); nothing for a URL. Idempotent. */
  stop(): Promise<void>;
}

const FORCED = ["off", "container", "url"] as const;
/** How long a container runtime may take to answer before we call it absent: the run must never hang on it. */
const DETECT_TIMEOUT_MS = 10_000;

/** `detect()`, or a rejection once `ms` have passed without an answer. */
async function within<T>(ms: number, detect: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([detect(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const reasonOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Decides where the PostgreSQL project runs, from `TEST_POSTGRES`, `TEST_DATABASE_URL` and whether a container
 * runtime answers. `note` is the one line to print about it.
 * @param runtime.detect resolves when a container runtime answers. @default testcontainers' getContainerRuntimeClient
 * @param runtime.timeoutMs how long `detect` may take. @default 10_000
 * @throws when `TEST_POSTGRES` is not one of off|container|url, or names a choice that is not available.
 */
export async function choosePostgres(
  env: NodeJS.ProcessEnv = process.env,
  runtime: { detect?: () => Promise<unknown>; timeoutMs?: number } = {},
): Promise<PostgresChoice> {
  const forced = env.TEST_POSTGRES || undefined;
  if (forced && !(FORCED as readonly string[]).includes(forced)) {
    throw new Error(`TEST_POSTGRES must be one of ${FORCED.join(", ")} (or unset to choose), but got: "${forced}"`);
  }
  const url = env.TEST_DATABASE_URL || undefined;
  if (forced === "off") {
    return { source: "off", note: "TEST_POSTGRES=off: running on PGlite only; the PostgreSQL-only tests are skipped" };
  }
  if (forced === "url" || (!forced && url)) {
    if (!url)
      throw new Error("TEST_POSTGRES=url needs TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)");
    return { source: "url", url, note: "PostgreSQL project: TEST_DATABASE_URL" };
  }
  const image = containerImage(env);
  try {
    // Loading testcontainers is not the runtime's answer: the clock starts once it is loaded.
    const detect = runtime.detect ?? (await import("testcontainers")).getContainerRuntimeClient;
    await within(runtime.timeoutMs ?? DETECT_TIMEOUT_MS, detect);
  } catch (err) {
    if (forced === "container")
      throw new Error(`TEST_POSTGRES=container, but no container runtime answered: ${reasonOf(err)}`);
    return {
      source: "off",
      note:
        `No TEST_DATABASE_URL and no container runtime answered (${reasonOf(err)}): running on PGlite only; ` +
        `the PostgreSQL-only tests are skipped (set TEST_DATABASE_URL, or start Docker)`,
    };
  }
  return { source: "container", note: `PostgreSQL project: a container from ${image}, started for this run` };
}

/** @default postgres:16-alpine, the official image */
export const containerImage = (env: NodeJS.ProcessEnv = process.env) => env.PG_TEST_IMAGE || "postgres:16-alpine";

/**
 * Brings up the chosen PostgreSQL for the project's global setup: the URL as given, or a container started now.
 * @param env the project's env, as vitest.config.ts set it from `choosePostgres`.
 */
export async function startPostgres(env: Record<string, string | undefined>): Promise<RunningPostgres> {
  if (env.TEST_POSTGRES_SOURCE === "container") {
    // Imported here: testcontainers is only loaded by runs that use it.
    const { startPostgresContainer } = await import("./postgres-container.js");
    return startPostgresContainer({
      image: containerImage(),
      network: process.env.PG_TEST_NETWORK || undefined,
      port: process.env.PG_TEST_PORT ? Number(process.env.PG_TEST_PORT) : undefined,
    });
  }
  const url = env.TEST_DATABASE_URL;
  if (!url) throw new Error("the PostgreSQL project has neither TEST_DATABASE_URL nor a container to start");
  return { url, stop: async () => {} };
}
