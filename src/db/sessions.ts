/**
 * Dedicated session connections: the one place that opens them. LISTEN, session advisory locks (bulk workers,
 * the purge, migrations) keep state in the server session, which a pooler in transaction mode (PgBouncer) hands
 * to another client between transactions. So they never come from the pool: each is its own connection to
 * `DATABASE_DIRECT_URL` (the primary itself; `DATABASE_URL` when unset), closed when its holder is done, and a
 * crashed process's locks and listeners die with its connections.
 */
import type { Client } from "pg";
import type { DatabaseHandle } from "./database.js";

/** What a session is for; named in connection errors and as the connection's application_name. */
export type SessionPurpose = "listen" | "lock" | "migrate";

/**
 * Opens a session connection to the primary (PostgreSQL only).
 * @throws the connection error; the caller decides whether to retry.
 */
export async function openSession(handle: DatabaseHandle, purpose: SessionPurpose): Promise<Client> {
  if (!handle.direct) throw new Error(`a ${purpose} session needs PostgreSQL (this handle is ${handle.kind})`);
  const { default: pg } = await import("pg");
  // Migrations change the schema: the owner's login when there is one (DATABASE_OWNER_URL).
  const url = purpose === "migrate" && handle.owner ? handle.owner.url : handle.direct.url;
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: handle.direct.connectTimeoutMs,
    application_name: `softdelete-graphql ${purpose}`,
  });
  // A session losing its server must not crash the process; its holder learns it from its next query.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  return client;
}
