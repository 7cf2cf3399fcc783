import { Authorized, Ctx, Query, Resolver } from "type-graphql";
import type { Context } from "../context.js";
import { oneAtATime } from "../request-share.js";
import { HealthReport } from "../types/health.types.js";

@Resolver()
export class HealthResolver {
  @Authorized("ADMIN")
  @Query(() => HealthReport, {
    description:
      "Dead weight per soft-deletable table (counts across every organization: it describes tables), database figures and recommendations.",
  })
  healthReport(@Ctx() ctx: Context) {
    return oneAtATime(ctx, () => ctx.maintenance.healthReport());
  }
}
