import { Authorized, Ctx, Query, Resolver } from "type-graphql";
import type { Context } from "../context.js";
import { oneAtATime } from "../request-share.js";
import { HealthReport } from "../types/health.types.js";

@Resolver()
export class HealthResolver {
  @Authorized("ADMIN")
  @Query(() => HealthReport, {
    description:
      "Dead weight per soft-deletable table and recommendations. An organization's ADMIN gets its own organization's counts (scope ORGANIZATION); an operator (OPERATOR_SUBJECTS) gets the whole database (scope DATABASE).",
  })
  healthReport(@Ctx() ctx: Context) {
    return oneAtATime(ctx, () => ctx.maintenance.healthReport(ctx.operator ? undefined : ctx.viewer.organizationId));
  }
}
