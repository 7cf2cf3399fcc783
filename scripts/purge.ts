/**
 * The retention purge from a shell, over every organization:
 *
 *   npm run purge -- [--dry-run] [--type Comment]
 *
 * Hard-deletes rows soft-deleted longer ago than their retention (HARD_DELETE_AFTER_DAYS, RETENTION_DAYS_OVERRIDES)
 * with their deleted dependants, in batches of PURGE_BATCH_SIZE roots, one transaction each; `--dry-run` counts
 * and changes nothing. A progress bar is drawn on a terminal; the summary per type ends the output either way.
 * Reads the same environment (and optional `.env`) as the server. On the embedded database stop the server
 * first: a PGlite directory is opened by one process at a time. Ctrl-C stops after the current batch.
 *
 * Exit codes: 0 done, 1 environment or database problem, 2 usage error, 3 another purge is running (nothing
 * was done; try later), 130 interrupted (committed batches stay purged).
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import dotenv from "dotenv";
import { ConfigError, loadConfig } from "../src/config/load-config.js";
import { connect, DatabaseUnavailableError } from "../src/db/connect.js";
import type { DatabaseHandle } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { createRegistry } from "../src/domain/model.js";
import { PERSONAL_DATA } from "../src/domain/personal-data.js";
import { SoftDeleteEngine } from "../src/engine/engine.js";
import { Maintenance } from "../src/engine/maintenance.js";
import type { PurgeProgress, PurgeReport } from "../src/engine/retention.js";
import { maintenanceOptions } from "../src/server/maintenance-options.js";

export interface Output {
  stdout(line: string): void;
  stderr(line: string): void;
  /** Where the progress bar is drawn; none when not a terminal. */
  terminal?: NodeJS.WritableStream | undefined;
}

const processOutput = (): Output => ({
  stdout: (line) => void process.stdout.write(`${line}\n`),
  stderr: (line) => void process.stderr.write(`${line}\n`),
  terminal: process.stdout.isTTY ? process.stdout : undefined,
});

export const EXIT_OK = 0;
export const EXIT_ENVIRONMENT = 1;
export const EXIT_USAGE = 2;
export const EXIT_ALREADY_RUNNING = 3;
export const EXIT_INTERRUPTED = 130;

const USAGE = "usage: npm run purge -- [--dry-run] [--type <entity type>]";

/**
 * Runs the command on `argv` (without node and the script) against `env`; returns the exit code.
 * `signal` stops the purge between batches.
 */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: Output = processOutput(),
  signal?: AbortSignal,
): Promise<number> {
  let values: { "dry-run"?: boolean; type?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { "dry-run": { type: "boolean" }, type: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    out.stderr(`purge: ${err instanceof Error ? err.message : String(err)}; ${USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    out.stdout(USAGE);
    return EXIT_OK;
  }
  const registry = createRegistry();
  const types = [...registry.entities.keys()];
  if (values.type !== undefined && !registry.entities.has(values.type)) {
    out.stderr(`purge: --type must be one of ${types.join(", ")}, but got ${JSON.stringify(values.type)}; ${USAGE}`);
    return EXIT_USAGE;
  }

  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    out.stderr(`purge: invalid configuration: ${err.problems.join("; ")}`);
    return EXIT_ENVIRONMENT;
  }

  let handle: DatabaseHandle;
  try {
    handle = await connect({
      url: config.DATABASE_URL,
      // The purge's lock is a session lock: it goes to the primary itself (replicas are of no use here).
      directUrl: config.DATABASE_DIRECT_URL,
      ownerUrl: config.DATABASE_OWNER_URL,
      pgliteDir: config.PGLITE_DIR,
      poolMax: Math.min(config.DATABASE_POOL_MAX, 4),
      connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    });
  } catch (err) {
    out.stderr(`purge: ${err instanceof DatabaseUnavailableError ? err.message : String(err)}`);
    return EXIT_ENVIRONMENT;
  }
  try {
    await migrate(handle);
    const engine = new SoftDeleteEngine(handle.db, registry, {
      cascade: config.CASCADE_SOFT_DELETE,
      rowLevelSecurity: config.ROW_LEVEL_SECURITY,
      maxCascadeDepth: config.MAX_CASCADE_DEPTH,
    });
    let maintenance: Maintenance;
    try {
      maintenance = new Maintenance(engine, handle, { ...maintenanceOptions(config), personalData: PERSONAL_DATA });
    } catch (err) {
      out.stderr(`purge: invalid configuration: ${err instanceof Error ? err.message : String(err)}`);
      return EXIT_ENVIRONMENT;
    }
    const dryRun = !!values["dry-run"];
    const bar = out.terminal ? progressBar(out.terminal, dryRun) : undefined;
    let report: PurgeReport;
    try {
      report = await maintenance.purgeExpired({ dryRun, type: values.type, signal, onProgress: bar?.update });
    } finally {
      bar?.stop();
    }
    return summarize(report, out);
  } catch (err) {
    out.stderr(`purge: failed: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
    return EXIT_ENVIRONMENT;
  } finally {
    await handle.close();
  }
}

function progressBar(stream: NodeJS.WritableStream, dryRun: boolean) {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${dryRun ? "counting" : "purging"} {type} |{bar}| {value}/{total} roots | {rows} rows | {eta_formatted} left`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (p: PurgeProgress) => {
      const payload = { type: p.type, rows: p.rowsPurged };
      if (!started) {
        started = true;
        bar.start(p.rootsTotal, p.rootsDone, payload);
      } else {
        bar.setTotal(p.rootsTotal);
        bar.update(p.rootsDone, payload);
      }
    },
    stop: () => started && bar.stop(),
  };
}

function summarize(report: PurgeReport, out: Output): number {
  if (report.alreadyRunning) {
    out.stderr("purge: another purge is running (on this or another instance); nothing was done, try again later");
    return EXIT_ALREADY_RUNNING;
  }
  const total = report.purged.reduce((n, c) => n + c.count, 0);
  const perType = report.purged.map((c) => `${c.type} ${c.count}`).join(", ");
  const seconds = ((report.finishedAt.getTime() - report.startedAt.getTime()) / 1000).toFixed(1);
  if (!total) out.stdout(`${report.dryRun ? "dry run: " : ""}nothing to purge`);
  else
    out.stdout(
      `${report.dryRun ? "dry run: would purge" : "purged"} ${total} rows (${perType}) in ${report.batches} batch(es), ${seconds} s` +
        (report.operationId ? `; audit operation ${report.operationId}` : ""),
    );
  if (report.skippedCount) {
    out.stdout(`skipped ${report.skippedCount} row(s) that a dependant holds:`);
    for (const s of report.skipped.slice(0, 20))
      out.stdout(
        `  ${s.type} ${s.id} (organization ${s.organizationId}): ${s.reason} ${s.dependantType} ${s.dependantId}`,
      );
    if (report.skippedCount > 20) out.stdout(`  … and ${report.skippedCount - 20} more`);
  }
  if (report.interrupted) {
    out.stderr(
      `purge: interrupted after ${report.batches} batch(es); what they purged stays purged, the rest is untouched`,
    );
    return EXIT_INTERRUPTED;
  }
  return EXIT_OK;
}

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
  const abort = new AbortController();
  // The first Ctrl-C stops after the current batch; a second one kills the process as usual.
  process.once("SIGINT", () => {
    process.stderr.write("\nstopping after the current batch (Ctrl-C again to kill)\n");
    abort.abort();
  });
  process.exitCode = await main(process.argv.slice(2), process.env, undefined, abort.signal);
}
