/**
 * The server, or an operator script, as a child process, the way an operator starts it: the TypeScript entry
 * compiled on the way by SWC, a minimal environment (PATH and HOME, loopback, port 0, silent logs unless the
 * caller says otherwise), stdout and stderr captured.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { listeningUrl } from "../../src/server/banner.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** `npm start`'s entry. */
export const SERVER_MAIN = "src/server/main.ts";

export interface ChildRun {
  child: ChildProcess;
  /** Everything written so far. */
  output(): { stdout: string; stderr: string };
}

/** Starts `script` (a path from the repository root) with `env` over the minimal environment. */
export function spawnScript(script: string, env: Record<string, string> = {}, args: string[] = []): ChildRun {
  const child = spawn(process.execPath, ["--import", "@swc-node/register/esm-register", script, ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      LOG_LEVEL: "silent",
      HOST: "127.0.0.1",
      PORT: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  return { child, output: () => ({ stdout, stderr }) };
}

/** Runs `script` to its end: its exit code and output. */
export async function exitOf(script: string, env: Record<string, string> = {}, args: string[] = []) {
  const { child, output } = spawnScript(script, env, args);
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, ...output() };
}

export interface ServerProcess extends ChildRun {
  /** The GraphQL URL from the banner; rejects if the process exits first (with its stderr). */
  ready: Promise<string>;
}

/** Starts the server with `env`; `ready` says where it listens. */
export function spawnServer(env: Record<string, string> = {}): ServerProcess {
  const run = spawnScript(SERVER_MAIN, env);
  const ready = new Promise<string>((resolve, reject) => {
    const look = () => {
      const url = listeningUrl(run.output().stderr);
      if (url) resolve(url);
    };
    run.child.stderr!.on("data", look);
    run.child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${run.output().stderr}`)));
  });
  ready.catch(() => {});
  return { ...run, ready };
}

/** The demo ADMIN token the banner prints outside production, once it is printed (within `timeoutMs`). */
export async function bannerToken(server: ChildRun, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const token = /export TOKEN=(\S+)/.exec(server.output().stderr)?.[1];
    if (token) return token;
    if (server.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`no demo token in the banner: ${server.output().stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGTERM, then waits for the exit (nothing if it has exited already). */
export async function stopServer(server: ChildRun | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = once(server.child, "exit");
  server.child.kill("SIGTERM");
  await exited;
}
