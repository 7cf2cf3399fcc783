/**
 * The settings of the health report, the retention purge and its schedule: defaults, parsing, the message for a
 * bad value, and their mapping onto the engine's options (an unknown type in the overrides stops start-up).
 */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/load-config.js";
import { createRegistry } from "../../src/domain/model.js";
import { SoftDeleteEngine } from "../../src/engine/engine.js";
import { Maintenance } from "../../src/engine/maintenance.js";
import { maintenanceOptions } from "../../src/server/maintenance-options.js";
import type { DatabaseHandle } from "../../src/db/database.js";

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("retention and health settings", () => {
  it("default to: no scheduled purge, 500 roots per batch, no overrides, and the documented thresholds", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PURGE_INTERVAL: 0,
      PURGE_BATCH_SIZE: 500,
      RETENTION_DAYS_OVERRIDES: undefined,
      HEALTH_EXACT_COUNT_MAX_ROWS: 100_000,
      HEALTH_DELETED_RATIO_THRESHOLD: 0.3,
      HEALTH_DEAD_TUPLES_THRESHOLD: 10_000,
    });
    expect(maintenanceOptions(config)).toMatchObject({
      retention: { defaultDays: 90, overrides: {} },
      purgeIntervalMs: 0,
      purgeBatchSize: 500,
      health: { exactCountMaxRows: 100_000, deletedRatio: 0.3, deadTuples: 10_000 },
    });
  });

  it("parse what operators write", () => {
    const config = loadConfig({
      PURGE_INTERVAL: "6h",
      RETENTION_DAYS_OVERRIDES: " Comment=30, User = 365 ,Task=0",
      HEALTH_DELETED_RATIO_THRESHOLD: ".25",
    });
    expect(config.PURGE_INTERVAL).toBe(6 * 3_600_000);
    expect(config.RETENTION_DAYS_OVERRIDES).toEqual({ Comment: 30, User: 365, Task: 0 });
    expect(config.HEALTH_DELETED_RATIO_THRESHOLD).toBe(0.25);
  });

  it("name the variable, the value and what is allowed", () => {
    expect(problems({ PURGE_INTERVAL: "daily" })).toEqual([
      'PURGE_INTERVAL="daily" is not allowed: expected off or a duration like 30s, 15m, 6h, 1d',
    ]);
    expect(problems({ RETENTION_DAYS_OVERRIDES: "Comment:30" })).toEqual([
      'RETENTION_DAYS_OVERRIDES="Comment:30" is not allowed: expected Type=days pairs separated by commas, like Task=30,User=365',
    ]);
    expect(problems({ HEALTH_DELETED_RATIO_THRESHOLD: "30%" })).toEqual([
      'HEALTH_DELETED_RATIO_THRESHOLD="30%" is not allowed: expected a number from 0 to 1, like 0.3',
    ]);
    expect(problems({ PURGE_BATCH_SIZE: "0" })[0]).toMatch(/^PURGE_BATCH_SIZE="0" is not allowed/);
  });

  it("an override for a type the model does not declare is refused when the services are built", () => {
    const engine = new SoftDeleteEngine({} as never, createRegistry());
    const options = maintenanceOptions(loadConfig({ RETENTION_DAYS_OVERRIDES: "Comments=30" }));
    expect(() => new Maintenance(engine, {} as DatabaseHandle, options)).toThrow(
      'RETENTION_DAYS_OVERRIDES names "Comments", which is no entity type; expected one of User, Project, Task, Comment, TaskAssignment',
    );
  });
});
