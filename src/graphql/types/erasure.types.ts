import { DateTimeResolver } from "graphql-scalars";
import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";

export enum ErasureAction {
  HARD_DELETED = "HARD_DELETED",
  SOFT_DELETED = "SOFT_DELETED",
  CASCADED = "CASCADED",
  BLANKED = "BLANKED",
  CONTENT_REPLACED = "CONTENT_REPLACED",
  PSEUDONYMISED = "PSEUDONYMISED",
  TEXT_SCRUBBED = "TEXT_SCRUBBED",
  AUDITED = "AUDITED",
}
registerEnumType(ErasureAction, {
  name: "ErasureAction",
  valuesConfig: {
    HARD_DELETED: { description: "Rows only about the person, removed (the user's assignments)." },
    SOFT_DELETED: { description: "The person's account, soft-deleted if it was live." },
    CASCADED: { description: "Rows changed by that soft delete's policies (deleted, or references detached)." },
    BLANKED: { description: "The person's name and email, and the actor records of their subjects." },
    CONTENT_REPLACED: { description: "What the person wrote (comment bodies), replaced by a fixed marker." },
    PSEUDONYMISED: {
      description: "created_by, updated_by, deleted_by values naming the person, now erased:<actor id>.",
    },
    TEXT_SCRUBBED: { description: "Free text (deletion reasons, titles, other comments) that named the person." },
    AUDITED: { description: "The ERASE entry appended to the audit trail." },
  },
});

@ObjectType({ description: "One thing erasure did to one table." })
export class ErasureStep {
  @Field(() => String)
  table!: string;

  @Field(() => ErasureAction)
  action!: ErasureAction;

  @Field(() => Int)
  rows!: number;
}

@ObjectType()
export class ErasureReport {
  @Field(() => ID, { description: "Global id of the erased user (the row stays, blanked and soft-deleted)." })
  user!: string;

  @Field(() => Boolean, { description: "True when the user had been erased before: nothing was changed." })
  alreadyErased!: boolean;

  @Field(() => ID, { description: "Shared by the erasure's audit entries (the first erasure's, when already erased)." })
  operationId!: string;

  @Field(() => DateTimeResolver)
  erasedAt!: Date;

  @Field(() => [ErasureStep], { description: "What was done per table; empty when already erased." })
  steps!: ErasureStep[];
}
