/**
 * CPU seconds and memory of processes, read from /proc (Linux): the server child and the PostgreSQL backends
 * connected to the measured database. On a small shared machine wall time moves with every other process; CPU
 * per operation much less, which is why the benches report both.
 */
import { existsSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import type pg from "pg";

/** USER_HZ, the unit of /proc/<pid>/stat times: 100 on every mainstream Linux build. */
const CLOCK_TICKS = 100;

/** Whether this machine has /proc to read (without it, PostgreSQL CPU is not reported). */
export const procAvailable = existsSync("/proc/self/stat");

/** User + system CPU seconds of `pid` so far; undefined when it is gone (or there is no /proc). */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** VmRSS (now) and VmHWM (the peak since the process started), in bytes. */
export function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
  } catch {
    return undefined;
  }
}

/** CPU seconds so far of every backend connected to `monitor`'s database, but `monitor`'s own, by pid. */
export async function backendCpu(monitor: pg.ClientBase): Promise<Map<number, number>> {
  const { rows } = await monitor.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  const backends = new Map<number, number>();
  for (const { pid } of rows) {
    const seconds = cpuSecondsOf(pid);
    if (seconds !== undefined) backends.set(pid, seconds);
  }
  return backends;
}

export interface CpuSnapshot {
  backends: Map<number, number>;
  /** The server child's CPU seconds, when a pid was given and it is running. */
  server: number | undefined;
  /** This process (the bench, and an in-process server if any). */
  self: NodeJS.CpuUsage;
}

export async function cpuSnapshot(monitor: pg.ClientBase, serverPid?: number): Promise<CpuSnapshot> {
  const backends = await backendCpu(monitor);
  return { backends, server: serverPid ? cpuSecondsOf(serverPid) : undefined, self: process.cpuUsage() };
}

/**
 * CPU seconds spent between two snapshots. A backend that connected in between counts from zero; one that exited
 * in between is not counted.
 */
export function cpuDelta(
  before: CpuSnapshot,
  after: CpuSnapshot,
): { postgres: number; server: number | undefined; self: number } {
  let postgres = 0;
  for (const [pid, seconds] of after.backends) postgres += seconds - (before.backends.get(pid) ?? 0);
  const server = after.server !== undefined && before.server !== undefined ? after.server - before.server : undefined;
  const self = (after.self.user - before.self.user + after.self.system - before.self.system) / 1e6;
  return { postgres, server, self };
}

export interface Usage {
  /** CPU seconds of the PostgreSQL backends connected to the measured database (monitor excluded). */
  postgresCpu: number;
  /** CPU seconds of the Node side: the server child when a pid was given, else this process. */
  nodeCpu: number;
  /** Largest VmRSS seen by the 100 ms sampler, bytes (the server child only). */
  maxSampledRss: number | undefined;
  /** Largest VmRSS sampled in the first and in the second half of the run, bytes: equal when memory is flat. */
  rssHalves: [number, number] | undefined;
  samples: number;
}

/**
 * Samples every 100 ms until stopped: the server child's VmRSS, and the CPU seconds of every backend of the
 * measured database (each backend's last reading counts, so one that disconnects meanwhile is kept).
 */
export function usageSampler(monitor: pg.ClientBase, serverPid: number | undefined): { stop(): Promise<Usage> } {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const rssSamples: { at: number; rss: number }[] = [];
  let samples = 0;
  const readBackends = async (into: Map<number, number>[]) => {
    for (const [pid, s] of await backendCpu(monitor))
      for (const m of into) if (m === last || !m.has(pid)) m.set(pid, s);
  };
  const nodeStart = serverPid ? (cpuSecondsOf(serverPid) ?? 0) : undefined;
  const selfStart = process.cpuUsage();
  let running = true;
  const loop = (async () => {
    await readBackends([first, last]);
    while (running) {
      await new Promise((r) => setTimeout(r, 100));
      samples++;
      if (serverPid) {
        const m = memoryOf(serverPid);
        if (m) rssSamples.push({ at: performance.now(), rss: m.rss });
      }
      await readBackends([last]);
    }
  })();
  return {
    /** Backends that connect later count from zero. */
    async stop(): Promise<Usage> {
      running = false;
      await loop;
      await readBackends([last]);
      let postgresCpu = 0;
      for (const [pid, s] of last) postgresCpu += s - (first.get(pid) ?? 0);
      const self = process.cpuUsage(selfStart);
      const nodeCpu =
        serverPid && nodeStart !== undefined
          ? (cpuSecondsOf(serverPid) ?? nodeStart) - nodeStart
          : (self.user + self.system) / 1e6;
      const max = (xs: { rss: number }[]) => xs.reduce((a, x) => Math.max(a, x.rss), 0);
      const middle = rssSamples.length ? (rssSamples[0]!.at + rssSamples.at(-1)!.at) / 2 : 0;
      return {
        postgresCpu,
        nodeCpu,
        maxSampledRss: rssSamples.length ? max(rssSamples) : undefined,
        rssHalves: rssSamples.length
          ? [max(rssSamples.filter((x) => x.at <= middle)), max(rssSamples.filter((x) => x.at > middle))]
          : undefined,
        samples,
      };
    },
  };
}
