import { DateTimeResolver } from "graphql-scalars";
import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
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
  @Field(() => ID)
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
