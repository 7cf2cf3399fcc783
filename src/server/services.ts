/**
 * Everything above the database that one instance runs, built in one place for `npm start`, tests, benches
 * and scripts: the engine, the bulk queue, its events and its runner.
 */
import type { DatabaseHandle } from "../db/database.js";
import { createRegistry } from "../domain/model.js";
import { BulkQueue, BulkRunner, LocalBulkEvents, PostgresBulkEvents, type BulkEvents, type RunnerOptions } from "../engine/bulk/index.js";
import { SoftDeleteEngine, type EngineOptions } from "../engine/engine.js";
import type { BulkServices } from "../graphql/context.js";

export interface ServiceOptions {
  engine?: EngineOptions;
  bulk?: RunnerOptions & { maxIds?: number };
  onError?: (err: unknown) => void;
}

export interface Services {
  engine: SoftDeleteEngine;
  bulk: BulkServices;
  runner: BulkRunner;
  /** Stops the runner (after its current batches) and the event listener. */
  close(): Promise<void>;
}

export function createServices(handle: DatabaseHandle, options: ServiceOptions = {}): Services {
  const engine = new SoftDeleteEngine(handle.db, createRegistry(), options.engine ?? {});
  const events: BulkEvents = handle.pool ? new PostgresBulkEvents(handle.pool, options.onError) : new LocalBulkEvents();
  const queue = new BulkQueue(handle.db, engine.registry, events, {
    maxIds: options.bulk?.maxIds ?? 10_000,
    requireReason: options.engine?.requireReason ?? false,
  });
  const runner = new BulkRunner(handle, engine.registry, events, {
    maxCascadeDepth: options.engine?.maxCascadeDepth ?? 10,
    ...options.bulk,
  });
  return {
    engine,
    bulk: { queue, events },
    runner,
    close: async () => {
      await runner.stop();
      await events.close();
    },
  };
}
