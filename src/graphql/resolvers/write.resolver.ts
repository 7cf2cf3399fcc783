import { and, eq } from "drizzle-orm";
import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from "type-graphql";
import { taskAssignments, users } from "../../db/schema/index.js";
import { NotFoundError } from "../../engine/errors.js";
import type { Context } from "../context.js";
import { fromGlobalId, type NodeType } from "../ids.js";
import {
  CreateCommentInput,
  CreateProjectInput,
  CreateTaskInput,
  CreateUserInput,
  UpdateCommentInput,
  UpdateProjectInput,
  UpdateTaskInput,
  UpdateUserInput,
} from "../inputs/entity.inputs.js";
import { VALIDATE } from "../inputs/validate.js";
import { toNode } from "../nodes.js";
import { Comment, Project, Task, TaskAssignment, User } from "../types/entities.types.js";
import { SoftDeletePayload } from "../types/payloads.types.js";

/** Input fields holding global ids, and the type each must be. */
const REFERENCES: Record<string, NodeType> = {
  projectId: "Project",
  taskId: "Task",
  parentId: "Comment",
  authorId: "User",
  leadId: "User",
  userId: "User",
};

/** Copies the given fields of an input, turning global ids into row ids (BAD_USER_INPUT naming the field). */
function values(input: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const refType = REFERENCES[key];
    out[key] = refType && typeof value === "string" ? fromGlobalId(value, key, [refType]).id : value;
  }
  return out;
}

async function create(ctx: Context, type: NodeType, input: object) {
  return toNode(type, await ctx.engine.create(type, ctx.op, values(input)));
}

async function update(ctx: Context, type: NodeType, id: string, input: object) {
  const row = await ctx.engine.update(type, ctx.op, fromGlobalId(id, "id", [type]).id, values(input));
  return toNode(type, row);
}

@Resolver()
export class WriteResolver {
  @Authorized("EDITOR")
  @Mutation(() => User)
  createUser(@Arg("input", () => CreateUserInput, { validate: VALIDATE }) input: CreateUserInput, @Ctx() ctx: Context) {
    return create(ctx, "User", input);
  }

  @Authorized("EDITOR")
  @Mutation(() => User)
  updateUser(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateUserInput, { validate: VALIDATE }) input: UpdateUserInput,
    @Ctx() ctx: Context,
  ) {
    return update(ctx, "User", id, input);
  }

  @Authorized("EDITOR")
  @Mutation(() => Project)
  createProject(
    @Arg("input", () => CreateProjectInput, { validate: VALIDATE }) input: CreateProjectInput,
    @Ctx() ctx: Context,
  ) {
    return create(ctx, "Project", input);
  }

  @Authorized("EDITOR")
  @Mutation(() => Project)
  updateProject(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateProjectInput, { validate: VALIDATE }) input: UpdateProjectInput,
    @Ctx() ctx: Context,
  ) {
    return update(ctx, "Project", id, input);
  }

  @Authorized("EDITOR")
  @Mutation(() => Task)
  createTask(@Arg("input", () => CreateTaskInput, { validate: VALIDATE }) input: CreateTaskInput, @Ctx() ctx: Context) {
    return create(ctx, "Task", input);
  }

  @Authorized("EDITOR")
  @Mutation(() => Task)
  updateTask(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateTaskInput, { validate: VALIDATE }) input: UpdateTaskInput,
    @Ctx() ctx: Context,
  ) {
    return update(ctx, "Task", id, input);
  }

  @Authorized("EDITOR")
  @Mutation(() => Comment)
  async createComment(
    @Arg("input", () => CreateCommentInput, { validate: VALIDATE }) input: CreateCommentInput,
    @Ctx() ctx: Context,
  ) {
    const given = values(input);
    if (given.authorId === undefined) {
      // By default the author is the caller's own user, if the token subject is one's email.
      const [me] = await ctx.engine.db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.organizationId, ctx.op.organizationId), eq(users.email, ctx.viewer.subject)));
      given.authorId = me?.id ?? null;
    }
    return toNode("Comment", await ctx.engine.create("Comment", ctx.op, given));
  }

  @Authorized("EDITOR")
  @Mutation(() => Comment)
  updateComment(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateCommentInput, { validate: VALIDATE }) input: UpdateCommentInput,
    @Ctx() ctx: Context,
  ) {
    return update(ctx, "Comment", id, input);
  }

  @Authorized("EDITOR")
  @Mutation(() => TaskAssignment, { description: "Assigns a user to a task; CONFLICT when already assigned." })
  assignTask(@Arg("taskId", () => ID) taskId: string, @Arg("userId", () => ID) userId: string, @Ctx() ctx: Context) {
    return create(ctx, "TaskAssignment", { taskId, userId });
  }

  @Authorized("EDITOR")
  @Mutation(() => SoftDeletePayload, { description: "Soft-deletes the live assignment; restore(id) brings it back." })
  async unassignTask(
    @Arg("taskId", () => ID) taskId: string,
    @Arg("userId", () => ID) userId: string,
    @Ctx() ctx: Context,
    @Arg("reason", () => String, { nullable: true }) reason?: string | null,
  ) {
    const { taskId: task, userId: user } = values({ taskId, userId }) as { taskId: string; userId: string };
    const [live] = await ctx.engine.db
      .select({ id: taskAssignments.id })
      .from(taskAssignments)
      .where(
        and(
          eq(taskAssignments.organizationId, ctx.op.organizationId),
          eq(taskAssignments.taskId, task),
          eq(taskAssignments.userId, user),
          eq(taskAssignments.isDeleted, false),
        ),
      );
    if (!live) throw new NotFoundError("TaskAssignment", `${taskId}/${userId}`);
    const result = await ctx.engine.softDelete("TaskAssignment", ctx.op, live.id, { reason });
    return { ...result, node: toNode("TaskAssignment", result.row) };
  }
}
