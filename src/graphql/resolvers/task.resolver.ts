import { Args, Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { comments, taskAssignments } from "../../db/schema/index.js";
import { IncludeDeletedArgs, RelationArgs } from "../args.js";
import type { Context } from "../context.js";
import type { NodeSource } from "../nodes.js";
import { toMany, toManyThrough, toOne } from "../relations.js";
import { CommentConnection, Project, Task, TaskAssignmentConnection, UserConnection } from "../types/entities.types.js";

@Resolver(() => Task)
export class TaskResolver {
  @FieldResolver(() => Project, {
    nullable: true,
    description: "Null when the project is deleted, unless includeDeleted.",
  })
  project(@Root() task: NodeSource, @Args(() => IncludeDeletedArgs) args: IncludeDeletedArgs, @Ctx() ctx: Context) {
    return toOne(ctx, "Project", task.projectId, args.includeDeleted);
  }

  @FieldResolver(() => CommentConnection)
  comments(@Root() task: NodeSource, @Args(() => RelationArgs) args: RelationArgs, @Ctx() ctx: Context) {
    return toMany(ctx, "Comment", comments.taskId, task, args);
  }

  @FieldResolver(() => UserConnection, { description: "Users assigned (many-to-many through TaskAssignment)." })
  assignees(@Root() task: NodeSource, @Args(() => RelationArgs) args: RelationArgs, @Ctx() ctx: Context) {
    return toManyThrough(ctx, "User", "TaskAssignment", taskAssignments.taskId, taskAssignments.userId, task, args);
  }

  @FieldResolver(() => TaskAssignmentConnection)
  assignments(@Root() task: NodeSource, @Args(() => RelationArgs) args: RelationArgs, @Ctx() ctx: Context) {
    return toMany(ctx, "TaskAssignment", taskAssignments.taskId, task, args);
  }
}
