import { eq } from "drizzle-orm";
import { Arg, Args, Ctx, ID, Query, Resolver } from "type-graphql";
import { organizations, tasks } from "../../db/schema/index.js";
import { listPage } from "../../engine/read.js";
import { IncludeDeletedArgs, ListArgs, pageArgs } from "../args.js";
import type { Context } from "../context.js";
import { fromGlobalId, type NodeType } from "../ids.js";
import { toConnection, toNode } from "../nodes.js";
import { Node } from "../types/node.interface.js";
import {
  Comment,
  Project,
  ProjectConnection,
  Task,
  TaskConnection,
  User,
  UserConnection,
} from "../types/entities.types.js";
import { Viewer } from "../types/viewer.type.js";
import { requestedVisibility } from "../visibility.js";
import type { SQL } from "drizzle-orm";

async function one(ctx: Context, type: NodeType, globalId: string, includeDeleted: boolean, field = "id") {
  const { id } = fromGlobalId(globalId, field, [type]);
  const visibility = requestedVisibility(ctx, { includeDeleted });
  return toNode(type, await ctx.loaders.byId(type, visibility).load(id));
}

async function list(ctx: Context, type: NodeType, args: ListArgs, where?: SQL) {
  const visibility = requestedVisibility(ctx, args);
  const entity = ctx.engine.registry.entity(type);
  return toConnection(type, await listPage(ctx.engine.db, entity, ctx.op, visibility, where, pageArgs(args)));
}

@Resolver()
export class QueryResolver {
  @Query(() => Node, { nullable: true, description: "Any entity by global id; null when missing, foreign or deleted." })
  async node(
    @Arg("id", () => ID) id: string,
    @Args(() => IncludeDeletedArgs) args: IncludeDeletedArgs,
    @Ctx() ctx: Context,
  ) {
    const { type } = fromGlobalId(id, "id");
    return one(ctx, type, id, args.includeDeleted);
  }

  @Query(() => Viewer)
  async viewer(@Ctx() ctx: Context): Promise<Viewer> {
    const [org] = await ctx.engine.db
      .select()
      .from(organizations)
      .where(eq(organizations.id, ctx.viewer.organizationId));
    return { subject: ctx.viewer.subject, role: ctx.viewer.role, organization: org! };
  }

  @Query(() => UserConnection)
  users(@Args(() => ListArgs) args: ListArgs, @Ctx() ctx: Context) {
    return list(ctx, "User", args);
  }

  @Query(() => ProjectConnection)
  projects(@Args(() => ListArgs) args: ListArgs, @Ctx() ctx: Context) {
    return list(ctx, "Project", args);
  }

  @Query(() => TaskConnection)
  tasks(
    @Args(() => ListArgs) args: ListArgs,
    @Ctx() ctx: Context,
    @Arg("projectId", () => ID, { nullable: true }) projectId?: string | null,
  ) {
    const project = projectId ? fromGlobalId(projectId, "projectId", ["Project"]).id : undefined;
    return list(ctx, "Task", args, project ? eq(tasks.projectId, project) : undefined);
  }

  @Query(() => User, { nullable: true })
  user(@Arg("id", () => ID) id: string, @Args(() => IncludeDeletedArgs) args: IncludeDeletedArgs, @Ctx() ctx: Context) {
    return one(ctx, "User", id, args.includeDeleted);
  }

  @Query(() => Project, { nullable: true })
  project(
    @Arg("id", () => ID) id: string,
    @Args(() => IncludeDeletedArgs) args: IncludeDeletedArgs,
    @Ctx() ctx: Context,
  ) {
    return one(ctx, "Project", id, args.includeDeleted);
  }

  @Query(() => Task, { nullable: true })
  task(@Arg("id", () => ID) id: string, @Args(() => IncludeDeletedArgs) args: IncludeDeletedArgs, @Ctx() ctx: Context) {
    return one(ctx, "Task", id, args.includeDeleted);
  }

  @Query(() => Comment, { nullable: true })
  comment(
    @Arg("id", () => ID) id: string,
    @Args(() => IncludeDeletedArgs) args: IncludeDeletedArgs,
    @Ctx() ctx: Context,
  ) {
    return one(ctx, "Comment", id, args.includeDeleted);
  }
}
