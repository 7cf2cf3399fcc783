import { Args, Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { comments } from "../../db/schema/index.js";
import { IncludeDeletedArgs, RelationArgs } from "../args.js";
import type { Context } from "../context.js";
import type { NodeSource } from "../nodes.js";
import { toMany, toOne } from "../relations.js";
import { Comment, CommentConnection, Task, User } from "../types/entities.types.js";

@Resolver(() => Comment)
export class CommentResolver {
  @FieldResolver(() => Task, { nullable: true })
  task(@Root() comment: NodeSource, @Args(() => IncludeDeletedArgs) args: IncludeDeletedArgs, @Ctx() ctx: Context) {
    return toOne(ctx, "Task", comment.taskId, args.includeDeleted);
  }

  @FieldResolver(() => User, { nullable: true, description: "Null when the author is deleted, unless includeDeleted." })
  author(@Root() comment: NodeSource, @Args(() => IncludeDeletedArgs) args: IncludeDeletedArgs, @Ctx() ctx: Context) {
    return toOne(ctx, "User", comment.authorId, args.includeDeleted);
  }

  @FieldResolver(() => Comment, { nullable: true, description: "The comment this one replies to." })
  parent(@Root() comment: NodeSource, @Args(() => IncludeDeletedArgs) args: IncludeDeletedArgs, @Ctx() ctx: Context) {
    return toOne(ctx, "Comment", comment.parentId, args.includeDeleted);
  }

  @FieldResolver(() => CommentConnection)
  replies(@Root() comment: NodeSource, @Args(() => RelationArgs) args: RelationArgs, @Ctx() ctx: Context) {
    return toMany(ctx, "Comment", comments.parentId, comment, args);
  }
}
