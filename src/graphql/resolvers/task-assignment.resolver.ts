import { Args, Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { IncludeDeletedArgs } from "../args.js";
import type { Context } from "../context.js";
import type { NodeSource } from "../nodes.js";
import { toOne } from "../relations.js";
import { Task, TaskAssignment, User } from "../types/entities.types.js";

@Resolver(() => TaskAssignment)
export class TaskAssignmentResolver {
  @FieldResolver(() => Task, { nullable: true })
  task(@Root() a: NodeSource, @Args(() => IncludeDeletedArgs) args: IncludeDeletedArgs, @Ctx() ctx: Context) {
    return toOne(ctx, "Task", a.taskId, args.includeDeleted);
  }

  @FieldResolver(() => User, { nullable: true })
  user(@Root() a: NodeSource, @Args(() => IncludeDeletedArgs) args: IncludeDeletedArgs, @Ctx() ctx: Context) {
    return toOne(ctx, "User", a.userId, args.includeDeleted);
  }
}
