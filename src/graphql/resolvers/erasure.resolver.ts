import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from "type-graphql";
import type { Context } from "../context.js";
import { fromGlobalId, toGlobalId } from "../ids.js";
import { ErasureReport, type ErasureAction } from "../types/erasure.types.js";

@Resolver()
export class ErasureResolver {
  @Authorized("ADMIN")
  @Mutation(() => ErasureReport, {
    description:
      "Irreversibly removes a user's personal data (right to erasure); the audit trail stays, linkable but no longer naming them. Erasing again changes nothing. The reason is kept, with the user's name and email scrubbed from it.",
  })
  async eraseUser(@Arg("id", () => ID) id: string, @Arg("reason", () => String) reason: string, @Ctx() ctx: Context) {
    const person = ctx.maintenance.personType;
    const target = fromGlobalId(id, "id", person ? [person] : []);
    const report = await ctx.maintenance.eraseUser(ctx.op, target.id, reason);
    return {
      ...report,
      user: toGlobalId(report.type, report.id),
      steps: report.steps.map((s) => ({ ...s, action: s.action as ErasureAction })),
    };
  }
}
