/**
 * The production topology under test (see scripts/topology.sh): `TEST_DATABASE_URL` may point at PgBouncer in
 * transaction mode, with `TEST_DATABASE_DIRECT_URL` at the PostgreSQL behind it, and `TEST_REPLICA_URL` at a
 * streaming replica of that PostgreSQL (the replica tests are skipped without it). Database names in these URLs
 * are replaced by each file's own database.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";

export const pooledBaseUrl = () => process.env.TEST_DATABASE_URL;
/** Where test databases are created and dropped, and session connections go. @default TEST_DATABASE_URL */
export const directBaseUrl = () => process.env.TEST_DATABASE_DIRECT_URL || process.env.TEST_DATABASE_URL;
export const replicaBaseUrl = () => process.env.TEST_REPLICA_URL || undefined;

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The topology script's own ports on this machine: PgBouncer and the replica. */
const isTopologyUrl = (url: string) => {
  const u = new URL(url);
  return ["127.0.0.1", "localhost"].includes(u.hostname) && ["6432", "5433"].includes(u.port);
};

/**
 * Starts PgBouncer and the replica with scripts/topology.sh when a URL names them and they do not answer (a fresh
 * machine, or after a reboot). Other URLs are left as they are: they are the caller's servers.
 */
export async function ensureTopology(): Promise<void> {
  const wanted = [pooledBaseUrl(), replicaBaseUrl()].filter((u): u is string => !!u && isTopologyUrl(u));
  const down = [];
  for (const url of wanted) if (!(await answers(url))) down.push(url);
  if (!down.length) return;
  const script = fileURLToPath(new URL("../../scripts/topology.sh", import.meta.url));
  execFileSync("bash", [script, "up"], { stdio: ["ignore", "inherit", "inherit"] });
}
