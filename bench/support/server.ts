/**
 * The server as the benches run it: the built `dist/src/server/main.js` as a child process on 127.0.0.1 and a free
 * port, so its CPU and memory are its own and the load generator never shares its event loop. It is ready once it
 * prints its listening line (src/server/banner.ts, whose parser is used here).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { listeningUrl } from "../../src/server/banner.js";

/** The repository's root, with a trailing slash. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const SERVER_ENTRY = `${ROOT}dist/src/server/main.js`;

/** A child process that serves GraphQL at `endpoint`. */
export interface Server {
  child: ChildProcess;
  endpoint: URL;
  /** SIGTERM (the server drains), SIGKILL after 15 s; resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * `node dist/src/server/main.js` on 127.0.0.1 and a free port: production mode, silent log, no demo seed, and
 * otherwise its defaults but for `env`.
 * @throws when the build is missing, or the server exits or stays silent for 60 s before listening
 * @example await startServer(url, secret, { DATABASE_POOL_MAX: "10", READ_COMPILER: "off" })
 */
export async function startServer(
  databaseUrl: string,
  secret: string,
  env: Record<string, string> = {},
): Promise<Server> {
  if (!existsSync(SERVER_ENTRY))
    throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first (the bench's npm script does)`);
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl,
      HOST: "127.0.0.1",
      PORT: "0",
      AUTH_SECRET: secret,
      NODE_ENV: "production",
      SEED_DEMO: "false",
      LOG_LEVEL: "silent",
      ...env,
    },
  });
  return awaitListening(child, listeningUrl);
}

/**
 * Resolves once `child` has printed, on stdout or stderr, what `parseUrl` finds a URL in.
 * @param parseUrl the URL in the output so far, or undefined while there is none yet
 */
export async function awaitListening(
  child: ChildProcess,
  parseUrl: (output: string) => string | undefined,
): Promise<Server> {
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const endpoint = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = parseUrl(output);
      if (url) {
        clearTimeout(timer);
        resolve(new URL(url));
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with code ${code} before listening:\n${output}`));
    });
  });
  if (endpoint.hostname !== "127.0.0.1") throw new Error(`the server listens on ${endpoint.host}, not 127.0.0.1`);
  return {
    child,
    endpoint,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface GraphqlResponse<T> {
  status: number;
  body: { data?: T; errors?: unknown[] };
  /** Size of the response body. */
  bytes: number;
}

/** POSTs one GraphQL operation with a bearer token; the answer as it came, errors included. */
export async function postGraphql<T>(
  endpoint: URL | string,
  token: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphqlResponse<T>> {
  const res = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(variables ? { query, variables } : { query }),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as GraphqlResponse<T>["body"], bytes: Buffer.byteLength(text) };
}

/**
 * `postGraphql`'s data.
 * @throws when the status is not 200, or the answer carries errors or no data
 */
export async function graphqlData<T>(
  endpoint: URL | string,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const { status, body } = await postGraphql<T>(endpoint, token, query, variables);
  if (status !== 200 || body.errors?.length || !body.data)
    throw new Error(`HTTP ${status}: ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
  return body.data;
}
