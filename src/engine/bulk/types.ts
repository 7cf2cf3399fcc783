/** Bulk operations as the engine sees them (no GraphQL here). */
export type BulkKind = "SOFT_DELETE" | "RESTORE";
export type BulkStatus = "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
export const TERMINAL: readonly BulkStatus[] = ["SUCCEEDED", "FAILED", "CANCELLED"];

/** A filter target: one type, narrowed by reference and creation time. */
export interface BulkFilter {
  type: string;
  /** Column field name → uuid, e.g. `{ projectId: "…" }`; each must be a declared parent relation column. */
  references?: Record<string, string>;
  createdBefore?: string;
  createdAfter?: string;
}

export type BulkTarget =
  /** Sorted "Type:uuid" keys; rows already known not to exist are counted as skipped at enqueue time. */
  | { ids: string[] }
  | { filter: BulkFilter }
  /** Restore every row a deletion operation (single, cascade or bulk) deleted. */
  | { operationId: string };

export interface BulkOperation {
  id: string;
  organizationId: string;
  kind: BulkKind;
  status: BulkStatus;
  target: BulkTarget;
  reason: string | null;
  cursor: unknown;
  total: number | null;
  processed: number;
  cascaded: number;
  skipped: number;
  failed: number;
  batches: number;
  skippedReasons: Record<string, number>;
  error: string | null;
  cancelRequested: Date | null;
  createdBy: string;
  requestId: string | null;
  createdAt: Date;
  startedAt: Date | null;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** What one batch did; the runner adds it to the operation's row in the batch's own transaction. */
export interface BatchOutcome {
  processed: number;
  cascaded: number;
  skipped: Record<string, number>;
  /** The cursor after this batch; `done` when nothing is left. */
  cursor: unknown;
  done: boolean;
}
