export { BulkQueue, type BulkRequest, type QueueOptions, type TargetId } from "./queue.js";
export { BulkRunner, type RunnerOptions } from "./runner.js";
export { LocalBulkEvents, PostgresBulkEvents, type BulkEvents } from "./events.js";
export { ProgressWatches } from "./progress-watch.js";
export { countOperations, getOperation, listOperations } from "./store.js";
export {
  TERMINAL,
  type BulkFilter,
  type BulkKind,
  type BulkOperation,
  type BulkStatus,
  type BulkTarget,
} from "./types.js";
