import type { Config } from "../config/settings.js";
import type { MaintenanceOptions } from "../engine/maintenance.js";

/** The settings of the health report, the retention purge and its schedule, from the configuration. */
export function maintenanceOptions(config: Config): MaintenanceOptions {
  return {
    retention: { defaultDays: config.HARD_DELETE_AFTER_DAYS, overrides: config.RETENTION_DAYS_OVERRIDES ?? {} },
    purgeBatchSize: config.PURGE_BATCH_SIZE,
    purgeIntervalMs: config.PURGE_INTERVAL,
    maxCascadeDepth: config.MAX_CASCADE_DEPTH,
    health: {
      exactCountMaxRows: config.HEALTH_EXACT_COUNT_MAX_ROWS,
      deletedRatio: config.HEALTH_DELETED_RATIO_THRESHOLD,
      deadTuples: config.HEALTH_DEAD_TUPLES_THRESHOLD,
    },
  };
}
