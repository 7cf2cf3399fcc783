import { DateTimeResolver } from "graphql-scalars";
import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import type { NodeType } from "../ids.js";
import { SoftDeletableType, TypeCount } from "./payloads.types.js";

export enum PurgeSkipReason {
  LIVE_DEPENDANT = "LIVE_DEPENDANT",
  RETAINED_DEPENDANT = "RETAINED_DEPENDANT",
}
registerEnumType(PurgeSkipReason, {
  name: "PurgeSkipReason",
  valuesConfig: {
    LIVE_DEPENDANT: { description: "A live row depends on it." },
    RETAINED_DEPENDANT: { description: "A deleted row that would go with it is still within its own retention." },
  },
});

@ObjectType({ description: "A row past retention that the purge left, with the dependant that holds it." })
export class PurgeSkip {
  @Field(() => ID, { description: "Global id of the row left." })
  id!: string;

  @Field(() => SoftDeletableType)
  type!: NodeType;

  @Field(() => PurgeSkipReason)
  reason!: PurgeSkipReason;

  @Field(() => ID, { description: "Global id of the dependant that holds it." })
  dependantId!: string;

  @Field(() => SoftDeletableType)
  dependantType!: NodeType;
}

@ObjectType({ description: "What a retention purge removed (or, on a dry run, would remove)." })
export class PurgeReport {
  @Field(() => Boolean)
  dryRun!: boolean;

  @Field(() => Boolean, { description: "True when another purge was running: nothing was done." })
  alreadyRunning!: boolean;

  @Field(() => Boolean, { description: "True when the run stopped between batches; committed batches stay purged." })
  interrupted!: boolean;

  @Field(() => ID, { nullable: true, description: "Shared by the run's PURGE audit entries; null on a dry run." })
  operationId!: string | null;

  @Field(() => DateTimeResolver)
  startedAt!: Date;

  @Field(() => DateTimeResolver)
  finishedAt!: Date;

  @Field(() => [TypeCount], { description: "Rows removed per type, dependants included." })
  purged!: TypeCount[];

  @Field(() => [PurgeSkip], { description: "Rows left because of a dependant (the first 100)." })
  skipped!: PurgeSkip[];

  @Field(() => Int)
  skippedCount!: number;

  @Field(() => Int, { description: "Transactions the run committed (batches of PURGE_BATCH_SIZE roots)." })
  batches!: number;
}
