import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import type { NodeType } from "../ids.js";
import { SoftDeletable } from "./soft-deletable.interface.js";

/**
 * The enum of entity type names. Its values are the domain model's: `createSchema` fills it with the model's
 * names just before it builds (type-graphql reads an enum's values at build time), so the enum always lists
 * exactly the entities of the schema being built.
 */
export const SoftDeletableType: Record<string, string> = {};
registerEnumType(SoftDeletableType, { name: "SoftDeletableType" });

/** Makes `SoftDeletableType` list exactly `names` (see above). */
export function setSoftDeletableTypes(names: readonly string[]) {
  for (const key of Object.keys(SoftDeletableType)) delete SoftDeletableType[key];
  for (const name of names) SoftDeletableType[name] = name;
}

@ObjectType({ description: "How many rows of one type an operation affected." })
export class TypeCount {
  @Field(() => SoftDeletableType)
  type!: NodeType;

  @Field(() => Int)
  count!: number;
}

@ObjectType()
export class SoftDeletePayload {
  @Field(() => SoftDeletable, { description: "The row, as it is after the delete (before it, on a dry run)." })
  node!: unknown;

  @Field(() => ID, { description: "Shared by every row this delete changed; auditLog(operationId:) lists them." })
  operationId!: string;

  @Field(() => [TypeCount], { description: "Rows changed beyond the target (cascaded deletes, detached references)." })
  cascaded!: TypeCount[];

  @Field(() => Boolean, { description: "True when nothing was changed (dryRun)." })
  dryRun!: boolean;
}

@ObjectType()
export class RestorePayload {
  @Field(() => SoftDeletable)
  node!: unknown;

  @Field(() => ID)
  operationId!: string;

  @Field(() => [TypeCount], { description: "Rows restored or re-attached beyond the target, ancestors included." })
  cascaded!: TypeCount[];
}

@ObjectType()
export class HardDeletePayload {
  @Field(() => SoftDeletable, { description: "The row as it was before it was removed." })
  node!: unknown;

  @Field(() => ID)
  deletedId!: string;

  @Field(() => ID)
  operationId!: string;

  @Field(() => [TypeCount], { description: "Rows removed, per type, the target included." })
  deleted!: TypeCount[];
}

@ObjectType()
export class DeletionPreview {
  @Field(() => SoftDeletable)
  node!: unknown;

  @Field(() => [TypeCount], { description: "What softDelete would change beyond the row." })
  cascaded!: TypeCount[];
}
