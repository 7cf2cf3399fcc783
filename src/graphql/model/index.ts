/**
 * The GraphQL surface of the domain model, generated: object types, connections, relation fields, inputs,
 * write mutations, root queries and the bulk filter. Nothing here names an entity.
 */
import type { ClassType } from "type-graphql";
import type { DomainModel } from "../../domain/domain-model.js";
import { createBulkResolver } from "../resolvers/bulk.resolver.js";
import { buildBulkFilterInput } from "./bulk-filter.js";
import { buildObjectTypes } from "./object-types.js";
import { buildQueryResolver } from "./query-resolver.js";
import { buildRelationResolvers } from "./relation-resolvers.js";
import { buildWriteResolver } from "./write-resolver.js";

export interface ModelGraphQL {
  /** The entities' object types (the schema's orphaned types: every one is emitted). */
  types: ClassType[];
  resolvers: ClassType[];
}

export function buildModelGraphQL(model: DomainModel): ModelGraphQL {
  const classes = buildObjectTypes(model);
  return {
    types: [...classes.values()].map((c) => c.type),
    resolvers: [
      buildQueryResolver(model, classes),
      ...buildRelationResolvers(model, classes),
      buildWriteResolver(model, classes),
      createBulkResolver(model, buildBulkFilterInput(model)),
    ],
  };
}
