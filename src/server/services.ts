/**
 * Everything above the database that one instance runs, built in one place for `npm start`, tests, benches
 * and scripts: the engine, the bulk queue, its events and its runner.
 */
import type { DatabaseHandle } from "../db/database.js";
import { defaultOf } from "../config/settings.js";
import { openSession } from "../db/sessions.js";
import type { DomainModel } from "../domain/domain-model.js";
import { MODEL } from "../domain/model.js";
import {
  BulkQueue,
  BulkRunner,
  LocalBulkEvents,
  PostgresBulkEvents,
  ProgressWatches,
  type BulkEvents,
  type RunnerOptions,
} from "../engine/bulk/index.js";
import { SoftDeleteEngine, type EngineOptions } from "../engine/engine.js";
import { Maintenance, type MaintenanceOptions } from "../engine/maintenance.js";
import { PurgeScheduler, type SchedulerLog } from "./purge-scheduler.js";
import type { BulkServices } from "../graphql/context.js";

export interface ServiceOptions {
  /** The entities served. @default the example domain (src/domain/model.ts) */
  model?: DomainModel;
  engine?: EngineOptions;
  bulk?: RunnerOptions & { maxIds?: number };
  onError?: (err: unknown) => void;
  /** Health thresholds, retention and the purge schedule (see `maintenanceOptions(config)`). */
  maintenance?: MaintenanceOptions & { log?: SchedulerLog };
}

export interface Services {
  model: DomainModel;
  engine: SoftDeleteEngine;
  bulk: BulkServices;
  runner: BulkRunner;
  /** Health report, retention purge, erasure. */
  maintenance: Maintenance;
  /** The scheduled purge (`purge.start()` does nothing while PURGE_INTERVAL is off). */
  purge: PurgeScheduler;
  /** Stops the scheduled purge and the runner (each after its current batch) and the event listener. */
  close(): Promise<void>;
}

export function createServices(handle: DatabaseHandle, options: ServiceOptions = {}): Services {
  const model = options.model ?? MODEL;
  const engine = new SoftDeleteEngine(handle.db, model.createRegistry(), options.engine ?? {});
  // Built first: a bad retention setting throws before any connection is taken.
  const { log: purgeLog, ...maintenanceSettings } = options.maintenance ?? {};
  const maintenance = new Maintenance(engine, handle, {
    ...(model.personalData ? { personalData: model.personalData } : {}),
    maxCascadeDepth: options.engine?.maxCascadeDepth ?? defaultOf("MAX_CASCADE_DEPTH"),
    maxReasonLength: options.engine?.maxReasonLength ?? defaultOf("MAX_REASON_LENGTH"),
    ...maintenanceSettings,
  });
  const purge = new PurgeScheduler(maintenance, { intervalMs: maintenance.purgeIntervalMs, log: purgeLog });
  const events: BulkEvents = handle.pool
    ? new PostgresBulkEvents(handle.pool, () => openSession(handle, "listen"), options.onError)
    : new LocalBulkEvents();
  const queue = new BulkQueue(handle.db, engine.registry, events, {
    maxIds: options.bulk?.maxIds ?? defaultOf("BULK_MAX_IDS"),
    requireReason: options.engine?.requireReason ?? defaultOf("REQUIRE_DELETION_REASON"),
    maxReasonLength: options.engine?.maxReasonLength ?? defaultOf("MAX_REASON_LENGTH"),
  });
  const runner = new BulkRunner(handle, engine, events, {
    maxCascadeDepth: options.engine?.maxCascadeDepth ?? defaultOf("MAX_CASCADE_DEPTH"),
    observer: engine.observer,
    ...options.bulk,
  });
  return {
    model,
    engine,
    bulk: { queue, events, progress: new ProgressWatches(handle.db, events) },
    runner,
    maintenance,
    purge,
    close: async () => {
      await purge.stop();
      await runner.stop();
      await events.close();
    },
  };
}
