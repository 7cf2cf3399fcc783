import { Args, Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { tasks } from "../../db/schema/index.js";
import { IncludeDeletedArgs, RelationArgs } from "../args.js";
import type { Context } from "../context.js";
import type { NodeSource } from "../nodes.js";
import { toMany, toOne } from "../relations.js";
import { Project, TaskConnection, User } from "../types/entities.types.js";

@Resolver(() => Project)
export class ProjectResolver {
  @FieldResolver(() => TaskConnection)
  tasks(@Root() project: NodeSource, @Args(() => RelationArgs) args: RelationArgs, @Ctx() ctx: Context) {
    return toMany(ctx, "Task", tasks.projectId, project, args);
  }

  @FieldResolver(() => User, { nullable: true, description: "The project lead; null when none or deleted." })
  lead(@Root() project: NodeSource, @Args(() => IncludeDeletedArgs) args: IncludeDeletedArgs, @Ctx() ctx: Context) {
    return toOne(ctx, "User", project.leadId, args.includeDeleted);
  }
}
