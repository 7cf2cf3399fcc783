import { Arg, Args, Ctx, ID, Query, Resolver } from "type-graphql";
import { IncludeDeletedArgs } from "../args.js";
import type { Context } from "../context.js";
import { fromGlobalId } from "../ids.js";
import { oneNode } from "../model/query-resolver.js";
import { Node } from "../types/node.interface.js";
import { Viewer } from "../types/viewer.type.js";

/** `node` and `viewer`; each entity's own root queries are generated (see model/query-resolver.ts). */
@Resolver()
export class QueryResolver {
  @Query(() => Node, { nullable: true, description: "Any entity by global id; null when missing, foreign or deleted." })
  async node(
    @Arg("id", () => ID) id: string,
    @Args(() => IncludeDeletedArgs) args: IncludeDeletedArgs,
    @Ctx() ctx: Context,
  ) {
    const { type } = fromGlobalId(id, "id", ctx.engine.registry.names);
    return oneNode(ctx, type, id, args.includeDeleted);
  }

  @Query(() => Viewer)
  async viewer(@Ctx() ctx: Context): Promise<Viewer> {
    // A token names an existing organization (authenticate looked it up), and organizations are never deleted.
    const organization = (await ctx.engine.organization(ctx.op))!;
    return { subject: ctx.viewer.subject, role: ctx.viewer.role, organization };
  }
}
