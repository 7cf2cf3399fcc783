/**
 * Recomputes the audit trail's hash chains (see src/engine/audit-chain.ts) and says whether they are intact:
 *
 *   npm run audit:verify [-- --org <slug>]
 *
 * One line per organization: its row count and head (position and hash: keep a copy elsewhere to detect a
 * rewrite of the whole chain later), or the first broken row. Only reads; reads the same environment (and
 * optional `.env`) as the server. On the embedded database stop the server first: a PGlite directory is
 * opened by one process at a time.
 *
 * Exit codes: 0 every chain verified, 1 a chain is broken, 2 usage, environment or database problem (nothing
 * could be verified).
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import dotenv from "dotenv";
import { ConfigError, loadConfig } from "../src/config/load-config.js";
import { connect, DatabaseUnavailableError } from "../src/db/connect.js";
import type { DatabaseHandle } from "../src/db/database.js";
import { verifyChains, type ChainReport } from "../src/engine/audit-chain.js";
import { toAuditEntryId } from "../src/graphql/ids.js";
import { ALL_ORGANIZATIONS, runAs } from "../src/db/tenant-scope.js";

export interface Output {
  stdout(line: string): void;
  stderr(line: string): void;
}

export const EXIT_OK = 0;
export const EXIT_BROKEN = 1;
export const EXIT_TROUBLE = 2;

const USAGE = "usage: npm run audit:verify -- [--org <slug>]";

/**
 * One line for an organization's chain. A broken row is named by its entry id as the API shows it to the
 * organization (auditLog, auditIntegrity) and by its `audit_log.id` for SQL.
 */
export function describeChain(r: ChainReport): string {
  if (r.ok) return `${r.slug}: ok, ${r.rows} row(s), head ${r.headSeq} ${r.headHash}`;
  const b = r.firstBreak!;
  const entry = b.entrySeq === null ? "" : `entry ${toAuditEntryId(r.organizationId, b.entrySeq)}, `;
  const where = b.id === null ? `after position ${b.seq - 1}` : `at position ${b.seq} (${entry}audit_log.id ${b.id})`;
  return `${r.slug}: BROKEN ${where}: ${b.problem}`;
}

/** Runs the command on `argv` (without node and the script) against `env`; returns the exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv, out: Output = processOutput()): Promise<number> {
  let values: { org?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { org: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    out.stderr(`audit:verify: ${err instanceof Error ? err.message : String(err)}; ${USAGE}`);
    return EXIT_TROUBLE;
  }
  if (values.help) {
    out.stdout(USAGE);
    return EXIT_OK;
  }
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    out.stderr(`audit:verify: invalid configuration: ${err.problems.join("; ")}`);
    return EXIT_TROUBLE;
  }
  let handle: DatabaseHandle;
  try {
    handle = await connect({
      url: config.DATABASE_URL,
      ownerUrl: config.DATABASE_OWNER_URL,
      pgliteDir: config.PGLITE_DIR,
      poolMax: 2,
      connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    });
  } catch (err) {
    out.stderr(`audit:verify: ${err instanceof DatabaseUnavailableError ? err.message : String(err)}`);
    return EXIT_TROUBLE;
  }
  try {
    // Every organization's chain: the narrow maintenance path of row-level security (src/db/tenant-scope.ts).
    const reports = await runAs(ALL_ORGANIZATIONS, () => verifyChains(handle!.db, { slug: values.org }));
    if (values.org !== undefined && !reports.length) {
      out.stderr(`audit:verify: --org must be the slug of an organization, but got ${JSON.stringify(values.org)}`);
      return EXIT_TROUBLE;
    }
    for (const r of reports) (r.ok ? out.stdout : out.stderr)(describeChain(r));
    return reports.every((r) => r.ok) ? EXIT_OK : EXIT_BROKEN;
  } catch (err) {
    out.stderr(`audit:verify: failed: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
    return EXIT_TROUBLE;
  } finally {
    await handle.close();
  }
}

const processOutput = (): Output => ({
  stdout: (line) => void process.stdout.write(`${line}\n`),
  stderr: (line) => void process.stderr.write(`${line}\n`),
});

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  dotenv.config({ quiet: true });
  process.exitCode = await main(process.argv.slice(2), process.env);
}
