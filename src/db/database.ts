import type { PGlite } from "@electric-sql/pglite";
import type { Pool } from "pg";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type * as schema from "./schema/index.js";

export type Schema = typeof schema;
/** One type for both drivers (and for a transaction, which extends it). */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type DatabaseKind = "pglite" | "postgres";

export interface DatabaseHandle {
  db: Database;
  kind: DatabaseKind;
  /** The node-postgres pool (PostgreSQL only): LISTEN/NOTIFY and pool statistics use it. */
  pool?: Pool;
  /** The embedded PGlite instance (PGlite only). */
  pglite?: PGlite;
  close(): Promise<void>;
}
