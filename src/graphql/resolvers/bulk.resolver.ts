import {
  Arg,
  Authorized,
  Ctx,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
  type ClassType,
  type SubscribeResolverData,
} from "type-graphql";
import { roleAtLeast } from "../../auth/roles.js";
import {
  countOperations,
  getOperation,
  listOperations,
  type BulkOperation as Operation,
  type BulkStatus,
} from "../../engine/bulk/index.js";
import type { TargetId } from "../../engine/bulk/index.js";
import { ForbiddenError, InvalidInputError, NotFoundError } from "../../engine/errors.js";
import { isUuid } from "../../engine/sql.js";
import { isTimestamp } from "../../engine/read.js";
import { MAX_PAGE_SIZE } from "../args.js";
import type { Context } from "../context.js";
import { fromGlobalId } from "../ids.js";
import type { DomainModel } from "../../domain/domain-model.js";
import { toBulkFilter, type BulkFilterValue } from "../model/bulk-filter.js";
import {
  BulkOperation,
  BulkOperationConnection,
  BulkOperationProgress,
  BulkOperationStatus,
} from "../types/bulk.types.js";

function toTargetIds(ctx: Context, ids: string[]): TargetId[] {
  return ids.map((value) => {
    try {
      return fromGlobalId(value, "ids", ctx.engine.registry.names);
    } catch {
      return { invalid: value };
    }
  });
}

/** Counters as clients see them, with throughput and an estimated finish while running. */
export function counters(op: Operation) {
  const started = op.startedAt?.getTime();
  const end = op.finishedAt?.getTime() ?? Date.now();
  const seconds = started ? Math.max((end - started) / 1000, 0.001) : 0;
  const rate = started && op.processed + op.skipped > 0 ? (op.processed + op.skipped) / seconds : null;
  const left = op.total === null ? null : Math.max(op.total - op.processed - op.skipped - op.failed, 0);
  return {
    status: op.status,
    total: op.total,
    processed: op.processed,
    cascaded: op.cascaded,
    skipped: op.skipped,
    failed: op.failed,
    batches: op.batches,
    rowsPerSecond: rate === null ? null : Math.round(rate * 10) / 10,
    eta: op.status === "RUNNING" && rate && left !== null ? new Date(Date.now() + (left / rate) * 1000) : null,
    skippedReasons: Object.entries(op.skippedReasons ?? {}).map(([reason, count]) => ({ reason, count })),
  };
}

export const toBulkOperation = (op: Operation): BulkOperation => ({ ...op, ...counters(op) }) as BulkOperation;

/**
 * The progress stream of one operation: its current state first (so a late subscriber is not left waiting),
 * then a state per change, ending with the terminal state. The row is read once per event for all subscribers of
 * the operation (ProgressWatches); a state equal to the last one sent is not sent again. Not a generator, so that
 * an unsubscribe ends it at once (a generator waiting for an unchanged state would hold it until the next change).
 */
function progressStream(ctx: Context, id: string): AsyncIterableIterator<BulkOperationProgress> {
  // The shared read acts for the tenant under row-level security (every subscriber of a watch is of its organization).
  const states = ctx.bulk.progress.watch(ctx.op.organizationId, id, ctx.tenant);
  let last = "";
  let found = false;
  const iterator: AsyncIterableIterator<BulkOperationProgress> = {
    next: async () => {
      for (;;) {
        const step = await states.next();
        if (step.done) {
          if (!found) throw new NotFoundError("BulkOperation", id);
          return { done: true, value: undefined };
        }
        found = true;
        const op = step.value;
        const key = `${op.status}/${op.batches}/${op.processed}/${op.skipped}/${op.failed}`;
        if (key === last) continue;
        last = key;
        return { done: false, value: { operationId: op.id, ...counters(op) } as BulkOperationProgress };
      }
    },
    return: async () => {
      await states.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/** The bulk operations' resolver, for the model whose `BulkFilterInput` is given. */
export function createBulkResolver(model: DomainModel, BulkFilterInput: ClassType) {
  @Resolver()
  class BulkResolver {
    @Authorized("ADMIN")
    @Mutation(() => BulkOperation, {
      description:
        "Queues a soft delete of up to BULK_MAX_IDS ids, or of every live row a filter matches. Runs in the background, one transaction per batch.",
    })
    async bulkSoftDelete(
      @Ctx() ctx: Context,
      @Arg("ids", () => [ID], { nullable: true }) ids?: string[] | null,
      @Arg("filter", () => BulkFilterInput, { nullable: true }) filter?: BulkFilterValue | null,
      @Arg("reason", () => String, { nullable: true }) reason?: string | null,
    ) {
      const op = await ctx.bulk.queue.softDelete(ctx.op, {
        ids: ids ? toTargetIds(ctx, ids) : null,
        filter: filter ? toBulkFilter(model, filter) : null,
        reason,
      });
      return toBulkOperation(op);
    }

    @Authorized("ADMIN")
    @Mutation(() => BulkOperation, {
      description:
        "Queues the exact restore of ids, or of everything one deletion operation (single, cascade or bulk) deleted.",
    })
    async bulkRestore(
      @Ctx() ctx: Context,
      @Arg("ids", () => [ID], { nullable: true }) ids?: string[] | null,
      @Arg("operationId", () => ID, { nullable: true }) operationId?: string | null,
    ) {
      return toBulkOperation(
        await ctx.bulk.queue.restore(ctx.op, { ids: ids ? toTargetIds(ctx, ids) : null, operationId }),
      );
    }

    @Authorized("ADMIN")
    @Mutation(() => BulkOperation, {
      description: "Stops the operation after its current batch; committed batches stay.",
    })
    async cancelBulkOperation(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
      return toBulkOperation(await ctx.bulk.queue.cancel(ctx.op, id));
    }

    @Authorized("ADMIN")
    @Query(() => BulkOperation, { nullable: true })
    async bulkOperation(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
      const op = isUuid(id) ? await getOperation(ctx.engine.db, id, ctx.op.organizationId) : undefined;
      return op ? toBulkOperation(op) : null;
    }

    @Authorized("ADMIN")
    @Query(() => BulkOperationConnection, { description: "Newest first." })
    async bulkOperations(
      @Ctx() ctx: Context,
      @Arg("status", () => BulkOperationStatus, { nullable: true }) status?: BulkStatus | null,
      @Arg("first", () => Int, { defaultValue: 20 }) first = 20,
      @Arg("after", () => String, { nullable: true }) after?: string | null,
    ) {
      if (first < 0 || first > MAX_PAGE_SIZE)
        throw new InvalidInputError("first", `first must be between 0 and ${MAX_PAGE_SIZE}, got ${first}`);
      let cursor: { at: string; id: string } | undefined;
      if (after) {
        try {
          const [at, id] = JSON.parse(Buffer.from(after, "base64url").toString()) as [string, string];
          if (typeof at !== "string" || typeof id !== "string" || !isUuid(id) || !isTimestamp(at)) throw new Error();
          cursor = { at, id };
        } catch {
          throw new InvalidInputError("after", "after must be a cursor returned by bulkOperations");
        }
      }
      const page = await listOperations(ctx.engine.db, ctx.op, status ?? undefined, first, cursor);
      const edges = page.operations.map((op) => ({
        node: toBulkOperation(op),
        cursor: Buffer.from(JSON.stringify([op.cursorAt, op.id])).toString("base64url"),
      }));
      return {
        edges,
        pageInfo: {
          hasNextPage: page.hasNextPage,
          hasPreviousPage: !!after,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
        totalCount: () => countOperations(ctx.engine.db, ctx.op, status ?? undefined),
      };
    }

    @Subscription(() => BulkOperationProgress, {
      description:
        "The operation's current state, then one event per committed batch, ending with the terminal state. ADMIN only.",
      subscribe: ({ args, context }: SubscribeResolverData<unknown, { id: string }, Context>) => {
        if (!roleAtLeast(context.viewer.role, "ADMIN"))
          throw new ForbiddenError("bulkOperationProgress needs the ADMIN role");
        if (!isUuid(args.id)) throw new InvalidInputError("id", "id must be a bulk operation id");
        return progressStream(context, args.id);
      },
    })
    bulkOperationProgress(
      @Root() progress: BulkOperationProgress,
      @Arg("id", () => ID) _id: string,
    ): BulkOperationProgress {
      return progress;
    }
  }
  return BulkResolver;
}
