import { DateTimeResolver } from "graphql-scalars";
import { Field, InterfaceType, ObjectType } from "type-graphql";
import { Node } from "./node.interface.js";

/** A row that is soft-deleted rather than removed: hidden from reads unless `includeDeleted`. */
@InterfaceType({
  implements: Node,
  resolveType: (value: { __typename?: string }) => value.__typename,
  autoRegisterImplementations: false,
})
export abstract class SoftDeletable extends Node {
  @Field(() => DateTimeResolver, { nullable: true, description: "When it was soft-deleted; null while live." })
  deletedAt!: Date | null;

  @Field(() => String, { nullable: true, description: "Who soft-deleted it (the token subject)." })
  deletedBy!: string | null;

  @Field(() => String, { nullable: true, description: "Why it was soft-deleted." })
  deletionReason!: string | null;

  @Field(() => Boolean, { description: "True exactly when deletedAt is set." })
  isDeleted!: boolean;
}

/** Fields every entity type shares; never referenced, so never emitted as a type of its own. */
@ObjectType("EntityFields")
export abstract class EntityFields extends SoftDeletable {
  @Field(() => DateTimeResolver)
  createdAt!: Date;

  @Field(() => DateTimeResolver)
  updatedAt!: Date;

  @Field(() => String, { nullable: true })
  createdBy!: string | null;

  @Field(() => String, { nullable: true })
  updatedBy!: string | null;
}
