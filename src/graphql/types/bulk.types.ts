import { DateTimeResolver } from "graphql-scalars";
import { Field, Float, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import type { BulkKind, BulkStatus } from "../../engine/bulk/index.js";
import { ConnectionType } from "./connection.js";

export const BulkOperationStatus = {
  PENDING: "PENDING",
  RUNNING: "RUNNING",
  SUCCEEDED: "SUCCEEDED",
  FAILED: "FAILED",
  CANCELLED: "CANCELLED",
} as const;
registerEnumType(BulkOperationStatus, { name: "BulkOperationStatus" });
export const BulkOperationKind = { SOFT_DELETE: "SOFT_DELETE", RESTORE: "RESTORE" } as const;
registerEnumType(BulkOperationKind, { name: "BulkOperationKind" });

@ObjectType({
  description:
    "Rows left alone, and why: NOT_FOUND (unknown or another organization's), ALREADY_DELETED, NOT_DELETED, PARENT_DELETED, RESTRICTED, INVALID_ID.",
})
export class SkipReasonCount {
  @Field(() => String)
  reason!: string;

  @Field(() => Int)
  count!: number;
}

/** Fields shared by the operation and its progress events. */
@ObjectType("BulkOperationCounters")
export abstract class BulkCounters {
  @Field(() => BulkOperationStatus)
  status!: BulkStatus;

  @Field(() => Int, { nullable: true, description: "Target rows, counted when the operation was accepted." })
  total!: number | null;

  @Field(() => Int, { description: "Target rows changed." })
  processed!: number;

  @Field(() => Int, { description: "Rows changed below the targets by cascade policies." })
  cascaded!: number;

  @Field(() => Int)
  skipped!: number;

  @Field(() => Int, { description: "Target rows in the batch that failed permanently (not committed)." })
  failed!: number;

  @Field(() => Int, { description: "Batches committed." })
  batches!: number;

  @Field(() => Float, { nullable: true })
  rowsPerSecond!: number | null;

  @Field(() => DateTimeResolver, { nullable: true, description: "Estimated finish, while running." })
  eta!: Date | null;

  @Field(() => [SkipReasonCount])
  skippedReasons!: SkipReasonCount[];
}

@ObjectType({ description: "A durable bulk job: it survives restarts, commits per batch, and can be cancelled." })
export class BulkOperation extends BulkCounters {
  @Field(() => ID, { description: "Also the deletion operation id of every row it soft-deleted." })
  id!: string;

  @Field(() => BulkOperationKind)
  kind!: BulkKind;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => String)
  createdBy!: string;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  @Field(() => DateTimeResolver, { nullable: true })
  startedAt!: Date | null;

  @Field(() => DateTimeResolver, { nullable: true })
  finishedAt!: Date | null;
}

@ObjectType()
export class BulkOperationProgress extends BulkCounters {
  @Field(() => ID)
  operationId!: string;
}

@ObjectType()
export class BulkOperationConnection extends ConnectionType(BulkOperation, "BulkOperation") {}
