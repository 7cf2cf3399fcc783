/**
 * Log lines for what the engine does in the background: each bulk operation's start and end (with its counts
 * and rate). (Scheduled purges log their own line.) Error messages are cut to their code: they may quote values.
 */
import type { Logger } from "pino";
import type { EngineObserver } from "../engine/observer.js";

export function lifecycleLog(log: Logger): EngineObserver {
  return {
    bulkStatus: (e) => {
      const rowsPerSecond =
        e.elapsedSeconds && e.status !== "RUNNING" ? Math.round((e.processed / e.elapsedSeconds) * 10) / 10 : undefined;
      const line = {
        bulkOperation: e.id,
        kind: e.kind,
        status: e.status,
        processed: e.processed,
        skipped: e.skipped,
        failed: e.failed,
        cascaded: e.cascaded,
        batches: e.batches,
        ...(e.status !== "RUNNING" &&
          e.elapsedSeconds !== null && { seconds: Math.round(e.elapsedSeconds * 1000) / 1000 }),
        ...(rowsPerSecond !== undefined && { rowsPerSecond }),
        ...(e.error && { errorCode: /^[A-Z_]+(?=:)|^database error \w+/.exec(e.error)?.[0] ?? "ERROR" }),
      };
      const message = e.status === "RUNNING" ? "bulk operation started" : `bulk operation ${e.status.toLowerCase()}`;
      if (e.status === "FAILED") log.warn(line, message);
      else log.info(line, message);
    },
  };
}
