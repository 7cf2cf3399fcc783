/**
 * Works bulk operations in the background, batch by batch.
 *
 * Invariants:
 * - Each batch is one transaction of the bulk operation (engine.withOperation) that changes its rows, writes their audit rows, and advances the
 *   operation's cursor and counters. A crash loses at most the uncommitted batch, which the next worker redoes
 *   from the committed cursor: no row processed twice, none skipped.
 * - One worker per operation across all instances: a lock (db/advisory-lock.ts) held for as long as the
 *   operation is worked: on PostgreSQL a session advisory lock on a session connection of its own (released by
 *   the server if the process dies); on PGlite, the single process keeps a set.
 * - A lost connection is a lost lease, not a failed operation: when the lock's connection goes (or a batch fails
 *   because the database went away), the worker stops after the batch in flight, leaves the operation RUNNING at
 *   its committed cursor, and the next poll (here or on another instance) claims it again and resumes. Even a
 *   batch still in flight when another worker claims the operation is safe: each batch locks the operation row
 *   and starts from the committed cursor.
 */
import { sql } from "drizzle-orm";
import { tryLock } from "../../db/advisory-lock.js";
import type { DatabaseHandle } from "../../db/database.js";
import { ALL_ORGANIZATIONS, runAs } from "../../db/tenant-scope.js";
import { isConnectionLoss } from "../../db/connection-loss.js";
import { EngineError } from "../errors.js";
import { defaultOf } from "../../config/settings.js";
import { pgError } from "../pg-errors.js";
import type { SoftDeleteEngine } from "../engine.js";
import { rows } from "../sql.js";
import { notify, type EngineObserver } from "../observer.js";
import { runBatch } from "./batch.js";
import type { BulkEvents } from "./events.js";
import { getOperation } from "./store.js";
import type { BatchOutcome, BulkOperation, BulkStatus } from "./types.js";

/** Advisory lock namespace (first key) for bulk operations; the second key is hashtext(operation id). */
const LOCK_NAMESPACE = 73_612;

export interface RunnerOptions {
  /** Target rows per batch (one transaction each). @default 1000 */
  batchSize?: number;
  /** Pause between batches, to bound the load on the database. @default 0 */
  pauseMs?: number;
  /** How often idle runners look for operations (events wake them sooner). @default 2000 */
  pollMs?: number;
  /** Deepest cascade of a batch. @default `defaultOf("MAX_CASCADE_DEPTH")` */
  maxCascadeDepth?: number;
  /** Operations one instance works at once. @default 2 */
  concurrency?: number;
  /** Called inside each batch's transaction before it runs (instrumentation, fault injection in tests). */
  beforeBatch?: (op: BulkOperation, batch: number) => void | Promise<void>;
  log?: {
    error(obj: unknown, msg?: string): void;
    warn?(obj: unknown, msg?: string): void;
    info(obj: unknown, msg?: string): void;
  };
  /** Told about status changes and committed batches (metrics, lifecycle logs); the rows a batch changed are told by the engine. */
  observer?: EngineObserver;
}

interface Claim {
  /** True once the lease is gone (its connection was lost): stop after the current batch. */
  lost(): boolean;
  release(): Promise<void>;
}

export class BulkRunner {
  private readonly opts: Required<Omit<RunnerOptions, "beforeBatch" | "log" | "observer">> &
    Pick<RunnerOptions, "beforeBatch" | "log" | "observer">;
  private readonly working = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private ticking: Promise<void> | undefined;
  private offQueued: (() => void) | undefined;

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly engine: SoftDeleteEngine,
    private readonly events: BulkEvents,
    options: RunnerOptions = {},
  ) {
    this.opts = {
      batchSize: defaultOf("BULK_BATCH_SIZE"),
      pauseMs: defaultOf("BULK_BATCH_PAUSE_MS"),
      pollMs: 2000,
      maxCascadeDepth: defaultOf("MAX_CASCADE_DEPTH"),
      concurrency: defaultOf("BULK_CONCURRENCY"),
      ...options,
    };
  }

  start(): void {
    this.stopping = false;
    this.offQueued = this.events.onQueued(() => this.kick());
    this.timer = setInterval(() => this.kick(), this.opts.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Looks for work now. */
  kick(): void {
    if (this.stopping || this.ticking) return;
    // The runner takes up every organization's operations: the narrow maintenance path (tenant-scope.ts); each
    // batch's transaction acts for its operation's organization alone (engine.withOperation).
    this.ticking = runAs(this.engine.rowLevelSecurity ? ALL_ORGANIZATIONS : undefined, () => this.tick())
      .catch((err) => this.opts.log?.error({ err }, "bulk runner poll failed"))
      .finally(() => (this.ticking = undefined));
  }

  /** Stops taking work and waits for the current batches to commit; their operations resume elsewhere. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.offQueued?.();
    await this.ticking;
    await Promise.allSettled([...this.working.values()]);
  }

  private async tick() {
    const free = this.opts.concurrency - this.working.size;
    if (free <= 0) return;
    const candidates = await rows<{ id: string }>(
      this.handle.db,
      sql`SELECT id FROM bulk_operations WHERE status IN ('PENDING', 'RUNNING') ORDER BY created_at LIMIT ${free + 10}`,
    );
    for (const { id } of candidates) {
      if (this.stopping || this.working.size >= this.opts.concurrency) break;
      if (this.working.has(id)) continue;
      const claim = await this.claim(id);
      if (!claim) continue;
      const work = this.work(id, claim)
        .catch((err) => this.opts.log?.error({ err, operation: id }, "bulk operation worker failed"))
        .finally(async () => {
          await claim.release();
          this.working.delete(id);
          if (!this.stopping) this.kick();
        });
      this.working.set(id, work);
    }
  }

  private async claim(id: string): Promise<Claim | undefined> {
    try {
      const release = await tryLock(this.handle, [LOCK_NAMESPACE, id]);
      return release ? { release, lost: () => release.lost?.() ?? false } : undefined;
    } catch (err) {
      // No session connection now: the next poll tries again.
      this.opts.log?.error({ err, operation: id }, "bulk runner could not open its lock session");
      return undefined;
    }
  }

  private async setStatus(id: string, status: BulkStatus, error: string | null = null) {
    const terminal = status !== "RUNNING";
    await this.handle.db.execute(
      sql`UPDATE bulk_operations SET status = ${status}, error = coalesce(${error}, error), updated_at = now(),
            started_at = coalesce(started_at, now()),
            finished_at = CASE WHEN ${terminal} THEN now() ELSE finished_at END
          WHERE id = ${id}::uuid`,
    );
    await this.events.publish(id);
    if (this.opts.observer?.bulkStatus) {
      const op = await getOperation(this.handle.db, id);
      if (op)
        notify(this.opts.observer, "bulkStatus", {
          id,
          kind: op.kind,
          status: op.status,
          processed: op.processed,
          skipped: op.skipped,
          failed: op.failed,
          cascaded: op.cascaded,
          batches: op.batches,
          elapsedSeconds: op.startedAt ? (Date.now() - op.startedAt.getTime()) / 1000 : null,
          error: op.error,
        });
    }
  }

  private async work(id: string, claim: Claim): Promise<void> {
    let op = await getOperation(this.handle.db, id);
    if (!op || (op.status !== "PENDING" && op.status !== "RUNNING")) return;
    await this.setStatus(id, "RUNNING");
    const ctx = { organizationId: op.organizationId, actor: op.createdBy, requestId: op.requestId ?? undefined };
    // Every batch is a transaction of the one operation: the audit entries and rows carry the bulk operation's id.
    const operation = { operationId: op.id, reason: op.reason };
    while (!this.stopping) {
      if (claim.lost()) return; // resumed at the next poll from the committed cursor
      op = (await getOperation(this.handle.db, id))!;
      if (op.cancelRequested) return this.setStatus(id, "CANCELLED");
      let outcome: BatchOutcome;
      const began = performance.now();
      try {
        outcome = await this.engine.withOperation(ctx, operation, async (tx, info) => {
          const current = (
            await rows<Record<string, unknown>>(
              tx,
              sql`SELECT cursor, batches FROM bulk_operations WHERE id = ${id}::uuid FOR UPDATE`,
            )
          )[0]!;
          const fresh = { ...op!, cursor: current.cursor, batches: Number(current.batches) };
          await this.opts.beforeBatch?.(fresh, fresh.batches + 1);
          const result = await runBatch(
            {
              tx,
              registry: this.engine.registry,
              info,
              size: this.opts.batchSize,
              maxCascadeDepth: this.opts.maxCascadeDepth,
            },
            fresh,
          );
          const skipped = Object.values(result.skipped).reduce((a, n) => a + n, 0);
          await tx.execute(
            sql`UPDATE bulk_operations SET cursor = ${JSON.stringify(result.cursor ?? null)}::jsonb,
                  processed = processed + ${result.processed}, cascaded = cascaded + ${result.cascaded},
                  skipped = skipped + ${skipped}, batches = batches + 1, updated_at = now(),
                  skipped_reasons = (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) FROM (
                    SELECT k, sum(v)::int AS v FROM (
                      SELECT key AS k, value::int AS v FROM jsonb_each_text(skipped_reasons)
                      UNION ALL SELECT key, value::int FROM jsonb_each_text(${JSON.stringify(result.skipped)}::jsonb)) s
                    GROUP BY k) agg)
                WHERE id = ${id}::uuid`,
          );
          return result;
        });
      } catch (err) {
        if (isConnectionLoss(err)) {
          // Committed or not, the cursor in the database says where to resume: give the lease up; the next poll
          // claims the operation again.
          this.opts.log?.warn?.({ err, operation: id }, "bulk batch lost its database connection; will resume");
          return;
        }
        // Transient errors were retried with backoff by withOperation; this one is permanent.
        this.opts.log?.error({ err, operation: id }, "bulk operation failed");
        await this.handle.db.execute(
          sql`UPDATE bulk_operations SET failed = failed + GREATEST(0, LEAST(${this.opts.batchSize}, coalesce(total, 0) - processed - skipped))
              WHERE id = ${id}::uuid`,
        );
        return this.setStatus(id, "FAILED", describe(err));
      }
      await this.events.publish(id);
      notify(this.opts.observer, "bulkBatch", {
        id,
        kind: op.kind,
        processed: outcome.processed,
        cascaded: outcome.cascaded,
        seconds: (performance.now() - began) / 1000,
      });
      if (outcome.done) return this.setStatus(id, "SUCCEEDED");
      if (this.opts.pauseMs) await new Promise((r) => setTimeout(r, this.opts.pauseMs));
    }
  }
}

/** A failure as recorded on the operation: its code and message, never SQL parameters. */
function describe(err: unknown): string {
  if (err instanceof EngineError) return `${err.code}: ${err.message}`;
  const pg = pgError(err);
  if (pg) return `database error ${pg.code}: ${pg.message.split("\n")[0]}`;
  return err instanceof Error ? err.message.split("\n")[0]!.slice(0, 500) : "unknown error";
}
