/**
 * Streaming replicas for reads. Each replica has its own pool and is checked every `checkIntervalMs`: reachable
 * and replaying within `maxLagMs` makes it healthy; otherwise it is skipped (the primary serves its reads) until a
 * later check finds it healthy again. A read that fails on a replica is re-run on the primary.
 *
 * Which reads go to a replica is decided in one place, `route()`: a plain read (no write, no row lock, no
 * side-effecting function, no per-server statistics) issued outside a transaction, in a stale-tolerant read
 * scope that has not written yet (see read-scope.ts). Transactions always run on the primary.
 */
import type { Pool, PoolConfig } from "pg";
import { ownerWork } from "./owner-routing.js";
import { currentReadScope } from "./read-scope.js";
import { scopePoolQueries } from "./scoped-queries.js";

export interface ReplicaOptions {
  /** One URL per replica. */
  urls: string[];
  /** A replica further behind than this is skipped. @default 5000 */
  maxLagMs?: number;
  /** Time between checks of each replica. @default 1000 */
  checkIntervalMs?: number;
  /** Connections per replica pool. @default 10 */
  poolMax?: number;
  /** @default 5000 */
  connectTimeoutMs?: number;
}

/**
 * `starting`: not checked yet; `healthy`: serving reads; `lagging`: replay further behind than the limit;
 * `failing`: unreachable or erroring.
 */
export type ReplicaState = "starting" | "healthy" | "lagging" | "failing";

export interface ReplicaStatus {
  /** host:port/database (never credentials). */
  name: string;
  state: ReplicaState;
  /** Replay lag at the last check, in milliseconds; null when it could not be measured. */
  lagMs: number | null;
  /** Why it is skipped, when it is. */
  error: string | null;
  /** Reads this replica served since start-up. */
  served: number;
  /** Reads sent to it that failed and were re-run on the primary. */
  fallbacks: number;
}

/** The lag as the replica sees it: nothing received and not replayed means no lag, whatever the last commit's age. */
const LAG_SQL = `SELECT CASE
    WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() IS NULL
      OR pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0
    ELSE GREATEST(0, extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)
  END::float8 AS lag_ms`;

/** Statements that write, lock rows or have side effects: never on a replica, and they end stale reads. */
const WRITE_LIKE =
  /\b(insert|update|delete|merge|truncate|for\s+(no\s+key\s+)?update|for\s+(key\s+)?share|pg_notify|nextval|setval|pg_(try_)?advisory\w*|set_config|txid_current)\b/i;
/** Reads whose answer differs per server (activity and table statistics are not replicated). */
const PER_SERVER = /\bpg_stat(io)?_/i;

/**
 * What a statement is, for routing: `write` (or row lock, or side effect: ends the scope's stale reads),
 * `primary` (a read whose answer differs per server), or `read` (a replica may serve it).
 */
export function classify(text: string): "write" | "primary" | "read" {
  if (!/^\s*(select|with|\()/i.test(text) || WRITE_LIKE.test(text)) return "write";
  return PER_SERVER.test(text) ? "primary" : "read";
}

export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return "(malformed URL)";
  }
}

class Replica {
  state: ReplicaState = "starting";
  lagMs: number | null = null;
  error: string | null = null;
  served = 0;
  fallbacks = 0;

  constructor(
    readonly name: string,
    readonly pool: Pool,
  ) {}

  status(): ReplicaStatus {
    const { name, state, lagMs, error, served, fallbacks } = this;
    return { name, state, lagMs, error, served, fallbacks };
  }
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err)).split("\n")[0]!.slice(0, 200);

/** A connection-level failure (as opposed to an error of the statement, which the primary would raise too). */
function connectionFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code !== "string" || /^(08|57P|53)/.test(code) || !/^[0-9A-Z]{5}$/.test(code);
}

export class ReplicaSet {
  readonly maxLagMs: number;
  readonly checkIntervalMs: number;
  private readonly replicas: Replica[];
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private next = 0;
  private closed = false;

  constructor(PoolClass: new (config: PoolConfig) => Pool, options: ReplicaOptions) {
    this.maxLagMs = options.maxLagMs ?? 5000;
    this.checkIntervalMs = options.checkIntervalMs ?? 1000;
    this.replicas = options.urls.map((url) => {
      const pool = new PoolClass({
        connectionString: url,
        max: options.poolMax ?? 10,
        connectionTimeoutMillis: Math.min(options.connectTimeoutMs ?? 5000, this.checkIntervalMs * 5),
      });
      // A replica going away must not crash the process: the next check marks it failing.
      pool.on("error", () => {});
      scopePoolQueries(pool);
      return new Replica(describeUrl(url), pool);
    });
  }

  /** Checks every replica now, then every `checkIntervalMs`. Does not wait: a replica never delays start-up. */
  start(): void {
    if (this.timer || this.closed) return;
    void this.checkAll();
    this.timer = setInterval(() => void this.checkAll(), this.checkIntervalMs);
    this.timer.unref();
  }

  /** Checks every replica once (concurrent callers share the check in progress). */
  checkAll(): Promise<void> {
    this.checking ??= Promise.all(this.replicas.map((r) => this.check(r))).then(() => void (this.checking = undefined));
    return this.checking;
  }

  private async check(replica: Replica): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("no answer to the lag check")), this.checkIntervalMs * 5);
      });
      const { rows } = await Promise.race([replica.pool.query<{ lag_ms: number }>(LAG_SQL), timeout]);
      const lag = Math.round(rows[0]!.lag_ms);
      replica.lagMs = lag;
      if (lag > this.maxLagMs) {
        replica.state = "lagging";
        replica.error = `replay lag ${lag} ms exceeds REPLICA_MAX_LAG_MS (${this.maxLagMs} ms)`;
      } else {
        replica.state = "healthy";
        replica.error = null;
      }
    } catch (err) {
      replica.state = "failing";
      replica.lagMs = null;
      replica.error = messageOf(err);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A healthy replica, round robin; undefined when none is. */
  pick(): Replica | undefined {
    for (let i = 0; i < this.replicas.length; i++) {
      const r = this.replicas[(this.next + i) % this.replicas.length]!;
      if (r.state === "healthy") {
        this.next = (this.next + i + 1) % this.replicas.length;
        return r;
      }
    }
    return undefined;
  }

  status(): ReplicaStatus[] {
    return this.replicas.map((r) => r.status());
  }

  /**
   * Makes `primary.query` send the reads a stale-tolerant scope may take from a replica to a healthy one, and
   * record writes in the scope. `primary.connect()` (a transaction) stays on the primary and counts as a write.
   */
  route(primary: Pool): void {
    const query = primary.query.bind(primary) as (...args: unknown[]) => Promise<unknown>;
    const connect = primary.connect.bind(primary) as (...args: unknown[]) => unknown;
    // pg's own pool.query() checks out with a callback; a caller's transaction checks out without one.
    primary.connect = ((...args: unknown[]) => {
      const scope = currentReadScope();
      if (scope && typeof args[0] !== "function") scope.wrote = true;
      return connect(...args);
    }) as Pool["connect"];
    primary.query = ((...args: unknown[]) => {
      const scope = currentReadScope();
      // Work across organizations stays on the primary (the owner's connections, when there are two logins).
      if (!scope || typeof args.at(-1) === "function" || ownerWork()) return query(...args);
      const first = args[0] as string | { text?: string } | undefined;
      const text = typeof first === "string" ? first : (first?.text ?? "");
      const kind = classify(text);
      if (kind === "write") scope.wrote = true;
      if (kind !== "read" || !scope.staleOk || scope.wrote) return query(...args);
      const replica = this.pick();
      if (!replica) return query(...args);
      return (replica.pool.query as (...a: unknown[]) => Promise<unknown>)(...args).then(
        (result) => {
          replica.served++;
          return result;
        },
        (err: unknown) => {
          replica.fallbacks++;
          if (connectionFailure(err)) {
            replica.state = "failing";
            replica.error = messageOf(err);
          }
          return query(...args);
        },
      );
    }) as Pool["query"];
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.checking?.catch(() => {});
    await Promise.all(this.replicas.map((r) => r.pool.end().catch(() => {})));
  }
}
