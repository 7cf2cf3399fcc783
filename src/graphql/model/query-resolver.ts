/** The root list and single-row queries the entities declare (e.g. `users`, `tasks(projectId:)`, `user(id:)`). */
import { and, eq } from "drizzle-orm";
import { Arg, Args, Ctx, ID, Query, Resolver, type ClassType } from "type-graphql";
import type { DomainModel, RootFieldInfo } from "../../domain/domain-model.js";
import { listPage } from "../../engine/read.js";
import { IncludeDeletedArgs, ListArgs, pageArgs } from "../args.js";
import type { Context } from "../context.js";
import { fromGlobalId } from "../ids.js";
import { toConnection, toNode } from "../nodes.js";
import { requestedVisibility } from "../visibility.js";
import { decorateClass, defineMethod, namedClass } from "./decorate.js";
import type { EntityClasses } from "./object-types.js";

/** One row by global id of `type`; null when missing, foreign or not visible. */
export async function oneNode(ctx: Context, type: string, globalId: string, includeDeleted: boolean) {
  const { id } = fromGlobalId(globalId, "id", [type]);
  const visibility = requestedVisibility(ctx, { includeDeleted });
  return toNode(type, await ctx.loaders.byId(type, visibility).load(id));
}

function addList(Queries: ClassType, field: RootFieldInfo, classes: Map<string, EntityClasses>) {
  const type = field.type!;
  defineMethod(
    Queries,
    field.name,
    async (args: ListArgs, ctx: Context, ...filterValues: (string | null | undefined)[]) => {
      const where = field.filters.flatMap((f, i) => {
        const value = filterValues[i];
        return value ? [eq(f.column, fromGlobalId(value, f.arg, [f.target]).id)] : [];
      });
      const visibility = requestedVisibility(ctx, args);
      const entity = ctx.engine.registry.entity(type);
      const page = await listPage(ctx.engine.db, entity, ctx.op, visibility, and(...where), pageArgs(args));
      return toConnection(type, page);
    },
    [Args(() => ListArgs), Ctx(), ...field.filters.map((f) => Arg(f.arg, () => ID, { nullable: true }))],
    [Query(() => classes.get(type)!.connection)],
  );
}

function addSingle(Queries: ClassType, field: RootFieldInfo, classes: Map<string, EntityClasses>) {
  const type = field.type!;
  defineMethod(
    Queries,
    field.name,
    (id: string, args: IncludeDeletedArgs, ctx: Context) => oneNode(ctx, type, id, args.includeDeleted),
    [Arg("id", () => ID), Args(() => IncludeDeletedArgs), Ctx()],
    [Query(() => classes.get(type)!.type, { nullable: true })],
  );
}

/** One resolver class holding the declared root queries (`node` and `viewer` are in query.resolver.ts). */
export function buildQueryResolver(model: DomainModel, classes: Map<string, EntityClasses>): ClassType {
  const Queries = namedClass("EntityQueryResolver");
  for (const field of model.rootFields) {
    if (field.kind === "list") addList(Queries, field, classes);
    if (field.kind === "single") addSingle(Queries, field, classes);
  }
  decorateClass(Queries, [Resolver()]);
  return Queries;
}
