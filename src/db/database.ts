import type { PGlite } from "@electric-sql/pglite";
import type { Pool } from "pg";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type * as schema from "./schema/index.js";
import type { ReplicaSet } from "./replicas.js";

export type Schema = typeof schema;
/** One type for both drivers (and for a transaction, which extends it). */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type DatabaseKind = "pglite" | "postgres";

export interface DatabaseHandle {
  db: Database;
  kind: DatabaseKind;
  /**
   * The node-postgres pool of `DATABASE_URL` (PostgreSQL only), possibly a pooler in transaction mode: statements
   * and transactions only, never session state. NOTIFY and pool statistics use it.
   */
  pool?: Pool;
  /**
   * Where dedicated session connections go (PostgreSQL only): `DATABASE_DIRECT_URL`, else `DATABASE_URL`.
   * Open them with `openSession` (src/db/sessions.ts), never from the pool.
   */
  direct?: { url: string; connectTimeoutMs: number };
  /**
   * The tables' owner (`DATABASE_OWNER_URL`, PostgreSQL only): migrations open their session here, and `pool`
   * sends the work that is not one organization's to this pool (src/db/owner-routing.ts).
   */
  owner?: { url: string; pool: Pool };
  /** The streaming replicas that serve stale-tolerant reads (PostgreSQL with DATABASE_REPLICA_URLS only). */
  replicas?: ReplicaSet;
  /** The embedded PGlite instance (PGlite only). */
  pglite?: PGlite;
  /** PGlite on disk: false once its data directory is gone or no longer locked by this process (readiness). */
  intact?: () => boolean;
  close(): Promise<void>;
}
