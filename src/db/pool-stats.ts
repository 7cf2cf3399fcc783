import type { DatabaseHandle } from "./database.js";

/** The connection pool of one instance, as node-postgres counts it. */
export interface PoolStats {
  /** Most connections the pool may open (DATABASE_POOL_MAX). */
  max: number;
  /** Connections open now, busy or idle. */
  total: number;
  idle: number;
  /** Requests queued for a connection. */
  waiting: number;
}

/** The pool's counters; null on PGlite, which is one in-process connection with no pool. */
export function poolStats(handle: DatabaseHandle): PoolStats | null {
  const pool = handle.pool;
  if (!pool) return null;
  return { max: pool.options.max ?? 10, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
}
