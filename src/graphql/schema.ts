import "reflect-metadata";
import type { GraphQLSchema } from "graphql";
import { buildSchema, type AuthChecker } from "type-graphql";
import { roleAtLeast, type Role } from "../auth/roles.js";
import type { Context } from "./context.js";
import { ForbiddenError } from "./errors.js";
import { createPubSub } from "@graphql-yoga/subscription";
import { AuditResolver } from "./resolvers/audit.resolver.js";
import { BulkResolver } from "./resolvers/bulk.resolver.js";
import { ErasureResolver } from "./resolvers/erasure.resolver.js";
import { HealthResolver } from "./resolvers/health.resolver.js";
import { PurgeResolver } from "./resolvers/purge.resolver.js";
import { CommentResolver } from "./resolvers/comment.resolver.js";
import { ProjectResolver } from "./resolvers/project.resolver.js";
import { QueryResolver } from "./resolvers/query.resolver.js";
import { SoftDeleteResolver } from "./resolvers/soft-delete.resolver.js";
import { TaskAssignmentResolver } from "./resolvers/task-assignment.resolver.js";
import { TaskResolver } from "./resolvers/task.resolver.js";
import { UserResolver } from "./resolvers/user.resolver.js";
import { WriteResolver } from "./resolvers/write.resolver.js";
import { Comment, Project, Task, TaskAssignment, User } from "./types/entities.types.js";

/**
 * `@Authorized("EDITOR")` means "EDITOR or above". A refusal is a typed FORBIDDEN naming the field and the role it
 * needs (type-graphql's own would be an untyped "Access denied!").
 */
const authChecker: AuthChecker<Context, Role> = ({ context, info }, roles) => {
  const needed = roles.find((min) => !roleAtLeast(context.viewer.role, min));
  if (needed)
    throw new ForbiddenError(
      `${info.parentType.name}.${info.fieldName} needs the ${needed} role or above; this token has ${context.viewer.role}`,
      { requiredRole: needed },
    );
  return true;
};

export const RESOLVERS = [
  QueryResolver,
  UserResolver,
  ProjectResolver,
  TaskResolver,
  CommentResolver,
  TaskAssignmentResolver,
  WriteResolver,
  SoftDeleteResolver,
  AuditResolver,
  BulkResolver,
  HealthResolver,
  PurgeResolver,
  ErasureResolver,
] as const;

let built: Promise<GraphQLSchema> | undefined;

/** The schema (built once per process: type-graphql's metadata is global). */
export function createSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers: [...RESOLVERS] as never,
    orphanedTypes: [User, Project, Task, Comment, TaskAssignment],
    authChecker,
    // Required by type-graphql for any subscription; ours bring their own event sources (see bulk events).
    pubSub: createPubSub(),
    // Validation costs per resolver call; only mutation inputs opt in (see inputs/validate.ts).
    validate: false,
  });
  return built;
}
