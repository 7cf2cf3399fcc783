import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import { oneAtATime } from "../request-share.js";
import type { Context } from "../context.js";
import { fromGlobalId, type NodeType } from "../ids.js";
import { toNode } from "../nodes.js";
import {
  DeletionPreview,
  HardDeletePayload,
  RestorePayload,
  SoftDeletePayload,
  type TypeCount,
} from "../types/payloads.types.js";

const counts = (list: { type: string; count: number }[]) => list as TypeCount[];

@Resolver()
export class SoftDeleteResolver {
  @Authorized("EDITOR")
  @Mutation(() => SoftDeletePayload, {
    description:
      "Soft-deletes a row and, by the declared policies, its live subtree, in one operation. dryRun changes nothing.",
  })
  async softDelete(
    @Arg("id", () => ID) id: string,
    @Ctx() ctx: Context,
    @Arg("reason", () => String, { nullable: true }) reason?: string | null,
    @Arg("dryRun", () => Boolean, { defaultValue: false }) dryRun?: boolean,
  ) {
    const target = fromGlobalId(id, "id", ctx.engine.registry.names);
    const result = await ctx.engine.softDelete(target.type, ctx.op, target.id, { reason, dryRun: !!dryRun });
    return { ...result, node: toNode(target.type, result.row), cascaded: counts(result.cascaded) };
  }

  @Authorized("EDITOR")
  @Mutation(() => RestorePayload, {
    description:
      "Restores a row and exactly the rows its deletion operation deleted. withAncestors first restores deleted ancestors.",
  })
  async restore(
    @Arg("id", () => ID) id: string,
    @Ctx() ctx: Context,
    @Arg("withAncestors", () => Boolean, { defaultValue: false }) withAncestors?: boolean,
  ) {
    const target = fromGlobalId(id, "id", ctx.engine.registry.names);
    const result = await ctx.engine.restore(target.type, ctx.op, target.id, { withAncestors: !!withAncestors });
    return { ...result, node: toNode(target.type, result.row), cascaded: counts(result.cascaded) };
  }

  @Authorized("ADMIN")
  @Mutation(() => HardDeletePayload, {
    description: "Irreversibly removes a soft-deleted row and its deleted dependants.",
  })
  async hardDelete(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    const target = fromGlobalId(id, "id", ctx.engine.registry.names);
    const before = await ctx.engine.find(target.type, ctx.op, target.id, "ALL");
    const result = await ctx.engine.hardDelete(target.type, ctx.op, target.id);
    return {
      node: toNode(target.type, before),
      deletedId: id,
      operationId: result.operationId,
      deleted: counts(result.deleted),
    };
  }

  @Authorized("EDITOR")
  @Query(() => DeletionPreview, { description: "What softDelete(id) would change, computed and rolled back." })
  async deletionPreview(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    const target = fromGlobalId(id, "id", ctx.engine.registry.names);
    const result = await oneAtATime(ctx, () => ctx.engine.softDelete(target.type, ctx.op, target.id, { dryRun: true }));
    return { node: toNode(target.type as NodeType, result.row), cascaded: counts(result.cascaded) };
  }
}
