import { DateTimeResolver } from "graphql-scalars";
import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { ConnectionType } from "./connection.js";

export enum AuditAction {
  CREATE = "CREATE",
  UPDATE = "UPDATE",
  SOFT_DELETE = "SOFT_DELETE",
  RESTORE = "RESTORE",
  HARD_DELETE = "HARD_DELETE",
  PURGE = "PURGE",
  ERASE = "ERASE",
}
registerEnumType(AuditAction, { name: "AuditAction" });

@ObjectType({ description: "One effective change, written in the same transaction as the change. Never updated." })
export class AuditEntry {
  @Field(() => ID, {
    description:
      "Opaque; names the entry by its position in the organization's own chain, so it reveals nothing of other organizations.",
  })
  id!: string;

  @Field(() => DateTimeResolver)
  at!: Date;

  @Field(() => AuditAction)
  action!: AuditAction;

  @Field(() => String)
  entityType!: string;

  @Field(() => ID, { description: "Global id of the entity (it may no longer exist)." })
  entityId!: string;

  @Field(() => ID)
  operationId!: string;

  @Field(() => String, { nullable: true })
  requestId!: string | null;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field(() => [String], { nullable: true, description: "Names of the fields changed (never their values)." })
  changedFields!: string[] | null;

  @Field(() => String, { nullable: true, description: "The actor's token subject; null once the actor was erased." })
  actor!: string | null;
}

@ObjectType()
export class AuditEntryConnection extends ConnectionType(AuditEntry, "AuditEntry") {}

@ObjectType({ description: "Where an audit hash chain first fails." })
export class AuditChainBreak {
  @Field(() => ID, {
    nullable: true,
    description: "The id (as in auditLog) of the audit entry where it fails; null when entries are missing at the end.",
  })
  entryId!: string | null;

  @Field(() => Int, { description: "The position in the chain where it fails." })
  position!: number;

  @Field(() => String)
  problem!: string;
}

@ObjectType({
  description:
    "The result of recomputing the organization's audit hash chain: each entry's hash covers its content and the previous entry's hash, so a change, removal or insertion made outside the application breaks it.",
})
export class AuditIntegrity {
  @Field(() => Boolean)
  ok!: boolean;

  @Field(() => Int, { description: "Entries checked." })
  entries!: number;

  @Field(() => Int, { description: "The chain's last position." })
  headPosition!: number;

  @Field(() => String, {
    description: "The chain's last hash (hex); keep a copy elsewhere to detect a rewrite of the whole chain.",
  })
  headHash!: string;

  @Field(() => AuditChainBreak, { nullable: true, description: "The first break; null when ok." })
  firstBreak!: AuditChainBreak | null;
}
