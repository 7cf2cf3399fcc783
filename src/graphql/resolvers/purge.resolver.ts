import { Arg, Authorized, Ctx, Mutation, Resolver } from "type-graphql";
import type { Context } from "../context.js";
import { toGlobalId, type NodeType } from "../ids.js";
import { SoftDeletableType, type TypeCount } from "../types/payloads.types.js";
import { PurgeReport, type PurgeSkipReason } from "../types/purge.types.js";

@Resolver()
export class PurgeResolver {
  @Authorized("ADMIN")
  @Mutation(() => PurgeReport, {
    description:
      "Hard-deletes the caller's organization's rows soft-deleted longer ago than their retention, with their deleted dependants. dryRun (the default) only counts.",
  })
  async purgeExpired(
    @Ctx() ctx: Context,
    @Arg("dryRun", () => Boolean, { defaultValue: true }) dryRun: boolean,
    @Arg("type", () => SoftDeletableType, {
      nullable: true,
      description: "Only rows of this type (with their dependants).",
    })
    type?: NodeType | null,
  ) {
    const report = await ctx.maintenance.purgeExpired({
      dryRun,
      type: type ?? undefined,
      organizationId: ctx.op.organizationId,
      actor: ctx.op.actor,
      requestId: ctx.op.requestId,
    });
    return {
      ...report,
      purged: report.purged as TypeCount[],
      skipped: report.skipped.map((s) => ({
        id: toGlobalId(s.type as NodeType, s.id),
        type: s.type as NodeType,
        reason: s.reason as PurgeSkipReason,
        dependantId: toGlobalId(s.dependantType as NodeType, s.dependantId),
        dependantType: s.dependantType as NodeType,
      })),
    };
  }
}
