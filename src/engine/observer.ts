/**
 * What the engine tells whoever watches it (metrics, logs): plain callbacks with plain data, so the engine
 * stays free of HTTP, GraphQL and any metrics library. Every callback runs after the change it reports has
 * committed (a rolled-back or dry-run change reports nothing), and an observer that throws never fails the
 * engine's work: its error is dropped.
 */
import type { BulkKind, BulkStatus } from "./bulk/types.js";

export type ChangeAction = "SOFT_DELETE" | "RESTORE";

/** Rows one committed transaction soft-deleted or restored, keyed by `<action>:<entity type>`. */
export type Tally = Map<string, number>;

export interface RowsChanged {
  action: ChangeAction;
  entityType: string;
  rows: number;
}

export interface BulkStatusChange {
  id: string;
  kind: BulkKind;
  status: BulkStatus;
  processed: number;
  skipped: number;
  failed: number;
  cascaded: number;
  batches: number;
  /** Seconds since the operation started; null before it started. */
  elapsedSeconds: number | null;
  error: string | null;
}

export interface BulkBatchDone {
  id: string;
  kind: BulkKind;
  /** Target rows changed by the batch (cascaded rows not included). */
  processed: number;
  cascaded: number;
  seconds: number;
}

export interface PurgeDone {
  /** `alreadyRunning`: another purge held the lock and nothing was done. */
  outcome: "done" | "interrupted" | "alreadyRunning" | "failed";
  /** Rows removed per entity type, dependants included. */
  purged: { type: string; count: number }[];
}

export interface EngineObserver {
  rowsChanged?(event: RowsChanged): void;
  bulkStatus?(event: BulkStatusChange): void;
  bulkBatch?(event: BulkBatchDone): void;
  purge?(event: PurgeDone): void;
}

/** Calls `fn` on every observer, swallowing their errors. */
export function notify<K extends keyof EngineObserver>(
  observer: EngineObserver | undefined,
  event: K,
  payload: Parameters<NonNullable<EngineObserver[K]>>[0],
): void {
  const fn = observer?.[event] as ((p: typeof payload) => void) | undefined;
  if (!fn) return;
  try {
    fn.call(observer, payload);
  } catch {
    // An observer's failure is its own business, never the operation's.
  }
}

/** Adds `n` rows of `action` on `entityType` to a transaction's tally. */
export function tallyAdd(tally: Tally | undefined, action: ChangeAction, entityType: string, n: number): void {
  if (!tally || !n) return;
  const key = `${action}:${entityType}`;
  tally.set(key, (tally.get(key) ?? 0) + n);
}

/** Reports a committed transaction's tally. */
export function reportTally(observer: EngineObserver | undefined, tally: Tally): void {
  for (const [key, rows] of tally) {
    const [action, entityType] = key.split(":") as [ChangeAction, string];
    notify(observer, "rowsChanged", { action, entityType, rows });
  }
}

/** Combines observers into one (each called in turn). */
export function combineObservers(...observers: (EngineObserver | undefined)[]): EngineObserver {
  const all = observers.filter((o): o is EngineObserver => !!o);
  const each =
    <K extends keyof EngineObserver>(k: K) =>
    (p: Parameters<NonNullable<EngineObserver[K]>>[0]) => {
      for (const o of all) notify(o, k, p);
    };
  return {
    rowsChanged: each("rowsChanged"),
    bulkStatus: each("bulkStatus"),
    bulkBatch: each("bulkBatch"),
    purge: each("purge"),
  };
}
