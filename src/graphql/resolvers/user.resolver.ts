import { Args, Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { comments, taskAssignments } from "../../db/schema/index.js";
import { RelationArgs } from "../args.js";
import type { Context } from "../context.js";
import type { NodeSource } from "../nodes.js";
import { toMany, toManyThrough } from "../relations.js";
import { CommentConnection, TaskAssignmentConnection, TaskConnection, User } from "../types/entities.types.js";

@Resolver(() => User)
export class UserResolver {
  @FieldResolver(() => TaskConnection, { description: "Tasks this user is assigned to (through live assignments)." })
  assignedTasks(@Root() user: NodeSource, @Args(() => RelationArgs) args: RelationArgs, @Ctx() ctx: Context) {
    return toManyThrough(ctx, "Task", "TaskAssignment", taskAssignments.userId, taskAssignments.taskId, user, args);
  }

  @FieldResolver(() => TaskAssignmentConnection)
  assignments(@Root() user: NodeSource, @Args(() => RelationArgs) args: RelationArgs, @Ctx() ctx: Context) {
    return toMany(ctx, "TaskAssignment", taskAssignments.userId, user, args);
  }

  @FieldResolver(() => CommentConnection, { description: "Comments this user wrote." })
  comments(@Root() user: NodeSource, @Args(() => RelationArgs) args: RelationArgs, @Ctx() ctx: Context) {
    return toMany(ctx, "Comment", comments.authorId, user, args);
  }
}
