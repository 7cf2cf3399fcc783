/**
 * Accepting bulk requests: validate, count the target, and insert the operation row (PENDING). Nothing is
 * processed here; a runner on any instance picks the row up. Over-limit or malformed requests are refused
 * before anything is written.
 */
import { sql } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { bulkOperations } from "../../db/schema/index.js";
import type { OperationContext } from "../context.js";
import { InvalidInputError, NotFoundError } from "../errors.js";
import type { Registry } from "../registry.js";
import { columnOf } from "../rows.js";
import { isUuid, rows, t } from "../sql.js";
import { filterCondition, operationRoots, restoreOrder } from "./batch.js";
import { boundedReason } from "../reason.js";
import type { BulkEvents } from "./events.js";
import { getOperation } from "./store.js";
import { deleted, inOrganization, live } from "../visibility.js";
import { TERMINAL, type BulkFilter, type BulkKind, type BulkOperation, type BulkTarget } from "./types.js";

export interface QueueOptions {
  /** Most ids one request may name. @default 10000 */
  maxIds: number;
  /** Refuse bulk deletes without a reason. @default false */
  requireReason: boolean;
  /** Longest reason. @default `defaultOf("MAX_REASON_LENGTH")` */
  maxReasonLength?: number;
}

/** An id as the API decoded it: a type and uuid, or a value that is no id of this API at all. */
export type TargetId = { type: string; id: string } | { invalid: string };

export interface BulkRequest {
  ids?: TargetId[] | null;
  filter?: BulkFilter | null;
  operationId?: string | null;
  reason?: string | null;
}

export class BulkQueue {
  constructor(
    private readonly db: Database,
    private readonly registry: Registry,
    private readonly events: BulkEvents,
    private readonly options: QueueOptions,
  ) {}

  private validateFilter(filter: BulkFilter) {
    if (!this.registry.entities.has(filter.type))
      throw new InvalidInputError("filter.type", `unknown type ${filter.type}`);
    const entity = this.registry.entity(filter.type);
    const parents = new Set(this.registry.parentsOf(filter.type).map((r) => r.column.name));
    for (const [field, id] of Object.entries(filter.references ?? {})) {
      const col = columnOf(entity, field);
      if (!col || !parents.has(col.name))
        throw new InvalidInputError(`filter.${field}`, `filter.${field} does not apply to ${filter.type}`);
      if (!isUuid(id))
        throw new InvalidInputError(`filter.${field}`, `filter.${field} must be an id returned by this API`);
    }
    for (const key of ["createdBefore", "createdAfter"] as const) {
      const v = filter[key];
      if (v !== undefined && Number.isNaN(Date.parse(v)))
        throw new InvalidInputError(`filter.${key}`, `filter.${key} must be a date-time`, v);
    }
  }

  private async insert(
    ctx: OperationContext,
    kind: BulkKind,
    target: BulkTarget,
    total: number,
    reason: string | null,
    skipped: Record<string, number>,
  ) {
    const skippedCount = Object.values(skipped).reduce((a, n) => a + n, 0);
    const [row] = await this.db
      .insert(bulkOperations)
      .values({
        organizationId: ctx.organizationId,
        kind,
        target,
        reason,
        total,
        skipped: skippedCount,
        skippedReasons: skipped,
        createdBy: ctx.actor,
        requestId: ctx.requestId ?? null,
      })
      .returning();
    await this.events.queued(row!.id);
    return row as BulkOperation;
  }

  /** Splits requested ids into valid "Type:uuid" keys (sorted, deduplicated) and skipped invalid ones. */
  private keys(ids: TargetId[]) {
    if (ids.length > this.options.maxIds)
      throw new InvalidInputError(
        "ids",
        `at most ${this.options.maxIds} ids per request (BULK_MAX_IDS), got ${ids.length}`,
      );
    const skipped: Record<string, number> = {};
    const keys = new Set<string>();
    for (const x of ids) {
      if ("invalid" in x || !this.registry.entities.has(x.type) || !isUuid(x.id))
        skipped.INVALID_ID = (skipped.INVALID_ID ?? 0) + 1;
      else keys.add(`${x.type}:${x.id.toLowerCase()}`);
    }
    return { keys: [...keys].sort(), skipped };
  }

  private exactlyOne(req: BulkRequest, names: (keyof BulkRequest)[]) {
    const given = names.filter((n) => req[n] !== undefined && req[n] !== null);
    if (given.length !== 1) throw new InvalidInputError(names[0]!, `give exactly one of ${names.join(", ")}`);
  }

  async softDelete(ctx: OperationContext, req: BulkRequest): Promise<BulkOperation> {
    this.exactlyOne(req, ["ids", "filter"]);
    const reason = boundedReason(req.reason, this.options.maxReasonLength);
    if (this.options.requireReason && !reason)
      throw new InvalidInputError("reason", "a reason is required to delete (REQUIRE_DELETION_REASON=true)");
    if (req.ids) {
      const { keys, skipped } = this.keys(req.ids);
      return this.insert(ctx, "SOFT_DELETE", { ids: keys }, req.ids.length, reason, skipped);
    }
    const filter = req.filter!;
    this.validateFilter(filter);
    const entity = this.registry.entity(filter.type);
    const cond = filterCondition(entity, filter);
    const [count] = await rows<{ n: number }>(
      this.db,
      sql`SELECT count(*)::int AS n FROM ${t(entity)} WHERE ${inOrganization(entity.table, ctx.organizationId)}
          AND ${live(entity.table)} ${cond ? sql`AND ${cond}` : sql``}`,
    );
    return this.insert(ctx, "SOFT_DELETE", { filter }, count?.n ?? 0, reason, {});
  }

  async restore(ctx: OperationContext, req: BulkRequest): Promise<BulkOperation> {
    this.exactlyOne(req, ["ids", "operationId"]);
    if (req.ids) {
      const { keys, skipped } = this.keys(req.ids);
      return this.insert(ctx, "RESTORE", { ids: keys }, req.ids.length, null, skipped);
    }
    const operationId = req.operationId!;
    if (!isUuid(operationId))
      throw new InvalidInputError(
        "operationId",
        "operationId must be an operation id returned by this API",
        operationId,
      );
    let total = 0;
    for (const entity of restoreOrder(this.registry)) {
      const [r] = await rows<{ n: number }>(
        this.db,
        sql`SELECT count(*)::int AS n FROM ${t(entity)} WHERE ${operationRoots(this.registry, entity, operationId, ctx.organizationId)}
            AND ${deleted(entity.table)}`,
      );
      total += r?.n ?? 0;
    }
    return this.insert(ctx, "RESTORE", { operationId }, total, null, {});
  }

  /** Asks the operation to stop after its current batch; a finished operation is returned unchanged. */
  async cancel(ctx: OperationContext, id: string): Promise<BulkOperation> {
    if (!isUuid(id)) throw new NotFoundError("BulkOperation", id);
    const updated = await rows<{ id: string }>(
      this.db,
      sql`UPDATE bulk_operations SET cancel_requested = coalesce(cancel_requested, now()),
            status = CASE WHEN status = 'PENDING' THEN 'CANCELLED' ELSE status END,
            finished_at = CASE WHEN status = 'PENDING' THEN now() ELSE finished_at END, updated_at = now()
          WHERE id = ${id}::uuid AND organization_id = ${ctx.organizationId}::uuid
            AND status NOT IN (${sql.join(
              TERMINAL.map((s) => sql`${s}`),
              sql`, `,
            )})
          RETURNING id`,
    );
    const op = await getOperation(this.db, id, ctx.organizationId);
    if (!op) throw new NotFoundError("BulkOperation", id);
    if (updated.length) await this.events.publish(id);
    return op;
  }
}
