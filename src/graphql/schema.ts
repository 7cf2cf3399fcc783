import "reflect-metadata";
import type { GraphQLSchema } from "graphql";
import { buildSchemaSync, type AuthChecker } from "type-graphql";
import { roleAtLeast, type Role } from "../auth/roles.js";
import type { DomainModel } from "../domain/domain-model.js";
import { MODEL } from "../domain/model.js";
import type { Context } from "./context.js";
import { ForbiddenError } from "../engine/errors.js";
import { createPubSub } from "@graphql-yoga/subscription";
import { buildModelGraphQL } from "./model/index.js";
import { AuditResolver } from "./resolvers/audit.resolver.js";
import { ErasureResolver } from "./resolvers/erasure.resolver.js";
import { HealthResolver } from "./resolvers/health.resolver.js";
import { PurgeResolver } from "./resolvers/purge.resolver.js";
import { QueryResolver } from "./resolvers/query.resolver.js";
import { SoftDeleteResolver } from "./resolvers/soft-delete.resolver.js";
import { setSoftDeletableTypes } from "./types/payloads.types.js";

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

/** Resolvers that serve every model alike; the model's own are generated (src/graphql/model/). */
export const RESOLVERS = [
  QueryResolver,
  SoftDeleteResolver,
  AuditResolver,
  HealthResolver,
  PurgeResolver,
  ErasureResolver,
] as const;

const built = new WeakMap<DomainModel, GraphQLSchema>();

/**
 * The schema of a domain model (built once per model and process: type-graphql's metadata is global, and
 * the generated classes are registered in it once).
 */
export async function createSchema(model: DomainModel = MODEL): Promise<GraphQLSchema> {
  let schema = built.get(model);
  if (!schema) {
    const generated = buildModelGraphQL(model);
    // Synchronous from here to the build's end: the enum holds this model's names while it is read.
    setSoftDeletableTypes(model.names);
    schema = buildSchemaSync({
      resolvers: [...RESOLVERS, ...generated.resolvers] as never,
      orphanedTypes: generated.types,
      authChecker,
      // Required by type-graphql for any subscription; ours bring their own event sources (see bulk events).
      pubSub: createPubSub(),
      // Validation costs per resolver call; only mutation inputs opt in (see inputs/validate.ts).
      validate: false,
    });
    built.set(model, schema);
  }
  return schema;
}
