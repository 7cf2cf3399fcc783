/**
 * A PostgreSQL container for one test run, started with testcontainers' GenericContainer.
 *
 * Invariant: no container outlives its run. There is no Ryuk (the reaper image cannot be pulled everywhere), so
 * the run removes it itself: its global teardown stops it, and a detached watchdog (container-watchdog.mjs)
 * removes every container labelled with this run as soon as the run's process is gone, however it ended
 * (Ctrl-C, where vitest exits without teardown; a crash; SIGKILL).
 *
 * Two network modes:
 * - default (a laptop with Docker): the container's 5432 is published on a port the engine picks;
 * - `host` (PG_TEST_NETWORK=host, machines without a bridge): the container shares the host's network, so there is
 *   no mapped port; PostgreSQL listens on `port` on 127.0.0.1, which must be free or the readiness check could
 *   reach another PostgreSQL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { GenericContainer, Wait } from "testcontainers";
import type { RunningPostgres } from "./postgres-source.js";

export interface PostgresContainerOptions {
  /** An image whose entrypoint follows the official one's (POSTGRES_PASSWORD, PGPORT). @example "postgres:16-alpine" */
  image: string;
  /** A Docker network mode; only `host` changes how the server is reached. @default the engine's default */
  network?: string;
  /** The host port to serve on. @default host mode: a free port; otherwise one the engine picks */
  port?: number;
  /** How long the image may take to start and accept connections. @default 120_000 */
  startupTimeoutMs?: number;
}

const RUN_LABEL = "softdelete-graphql.test-run";
const PASSWORD = "postgres";
/** Speed over durability (the data dies with the run); connections for many test files in parallel. */
const SERVER_SETTINGS = ["fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=300"];

/** Resolves to `port` when nothing listens on it on 127.0.0.1 (to a free port when `port` is 0). */
async function freePort(port: number): Promise<number> {
  const server = createServer();
  server.listen(port, "127.0.0.1");
  try {
    await once(server, "listening");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    throw new Error(
      `port ${port} is taken on 127.0.0.1, so the PostgreSQL container cannot listen there (PG_TEST_PORT): ` +
        `choose a free port, or leave PG_TEST_PORT unset to get one`,
    );
  }
  const chosen = (server.address() as { port: number }).port;
  server.close();
  return chosen;
}

/** Starts the watchdog that removes the run's containers once this process is gone (it waits for stdin's EOF). */
function startWatchdog(label: string): ChildProcess {
  const script = fileURLToPath(new URL("./container-watchdog.mjs", import.meta.url));
  // Its own process group (Ctrl-C reaches the run, not it), and no inherited stdout: `npm test | tee` must end.
  const watchdog = spawn(process.execPath, [script, label], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
  watchdog.unref();
  (watchdog.stdin as unknown as { unref(): void }).unref();
  return watchdog;
}

/**
 * Tells the watchdog the run is over, so it removes whatever still carries the run's label.
 * @param wait wait until it has (for at most 30 s): when something may be left, e.g. after a failed start.
 */
async function releaseWatchdog(watchdog: ChildProcess, wait: boolean): Promise<void> {
  if (watchdog.exitCode !== null || watchdog.signalCode !== null) return;
  const exited = once(watchdog, "exit");
  watchdog.stdin?.end();
  if (wait) await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000).unref())]);
}

/** Starts PostgreSQL in a container for this run. @throws when it cannot (the image, the port, the engine). */
export async function startPostgresContainer(options: PostgresContainerOptions): Promise<RunningPostgres> {
  const hostNetwork = options.network === "host";
  const hostPort = hostNetwork ? await freePort(options.port ?? 0) : options.port;
  const serverPort = hostNetwork ? hostPort! : 5432;
  const runLabel = `${hostname()}:${process.pid}`;
  const watchdog = startWatchdog(`${RUN_LABEL}=${runLabel}`);
  // Sharing the host's network, it listens on loopback only.
  const settings = hostNetwork ? ["listen_addresses=127.0.0.1", ...SERVER_SETTINGS] : SERVER_SETTINGS;

  const base = new GenericContainer(options.image)
    .withLabels({ [RUN_LABEL]: runLabel })
    .withEnvironment({ POSTGRES_PASSWORD: PASSWORD, PGPORT: String(serverPort) })
    .withCommand(["postgres", ...settings.flatMap((s) => ["-c", s])])
    // Over TCP: the official image's first, initializing server listens on its Unix socket only.
    .withWaitStrategy(Wait.forSuccessfulCommand(`pg_isready -h 127.0.0.1 -p ${serverPort} -U postgres`))
    .withStartupTimeout(options.startupTimeoutMs ?? 120_000);
  const container = hostNetwork
    ? base.withNetworkMode("host")
    : base.withExposedPorts(hostPort ? { container: 5432, host: hostPort } : 5432);

  let started;
  try {
    started = await container.start();
  } catch (err) {
    await releaseWatchdog(watchdog, true);
    throw new Error(`could not start PostgreSQL from ${options.image}: ${err instanceof Error ? err.message : err}`, {
      cause: err,
    });
  }
  const host = hostNetwork ? "127.0.0.1" : started.getHost();
  const port = hostNetwork ? serverPort : started.getMappedPort(5432);
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://postgres:${PASSWORD}@${host}:${port}/postgres`,
    stop: () =>
      (stopped ??= (async () => {
        let removed = false;
        try {
          await started.stop({ timeout: 0 });
          removed = true;
        } finally {
          await releaseWatchdog(watchdog, !removed);
        }
      })()),
  };
}
