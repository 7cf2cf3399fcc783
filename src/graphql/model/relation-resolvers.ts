/** Each entity's relation fields (to-one, to-many, many-to-many), generated from the domain model. */
import { Args, Ctx, FieldResolver, Resolver, Root, type ClassType } from "type-graphql";
import type { DomainModel, EntityTypeInfo, RelationFieldInfo } from "../../domain/domain-model.js";
import { IncludeDeletedArgs, RelationArgs } from "../args.js";
import type { Context } from "../context.js";
import type { NodeSource } from "../nodes.js";
import { toMany, toManyThrough, toOne } from "../relations.js";
import { decorateClass, defineMethod, namedClass } from "./decorate.js";
import type { EntityClasses } from "./object-types.js";

function body(rel: RelationFieldInfo) {
  switch (rel.kind) {
    case "toOne":
      return (root: NodeSource, args: IncludeDeletedArgs, ctx: Context) =>
        toOne(ctx, rel.target, root[rel.columnKey], args.includeDeleted);
    case "toMany":
      return (root: NodeSource, args: RelationArgs, ctx: Context) => toMany(ctx, rel.target, rel.column, root, args);
    case "manyToMany":
      return (root: NodeSource, args: RelationArgs, ctx: Context) =>
        toManyThrough(ctx, rel.target, rel.pivot, rel.parentColumn, rel.targetColumn, root, args);
  }
}

function resolverFor(info: EntityTypeInfo, classes: Map<string, EntityClasses>): ClassType {
  const Resolvers = namedClass(`${info.name}Resolver`);
  for (const rel of info.relations) {
    const target = classes.get(rel.target)!;
    const toOneField = rel.kind === "toOne";
    defineMethod(
      Resolvers,
      rel.name,
      body(rel),
      [Root(), Args(() => (toOneField ? IncludeDeletedArgs : RelationArgs)), Ctx()],
      [
        FieldResolver(() => (toOneField ? target.type : target.connection), {
          ...(toOneField ? { nullable: true } : {}),
          ...(rel.description ? { description: rel.description } : {}),
        }),
      ],
    );
  }
  decorateClass(Resolvers, [Resolver(() => classes.get(info.name)!.type)]);
  return Resolvers;
}

/** One resolver class per entity that has relation fields. */
export function buildRelationResolvers(model: DomainModel, classes: Map<string, EntityClasses>): ClassType[] {
  return [...model.types.values()].filter((info) => info.relations.length).map((info) => resolverFor(info, classes));
}
