/** Shared bodies of relation fields: every to-one and to-many field goes through the request's loaders. */
import type { PgColumn } from "drizzle-orm/pg-core";
import { pageArgs, type RelationArgs } from "./args.js";
import type { Context } from "./context.js";
import type { NodeType } from "./ids.js";
import { toConnection, toNode, type NodeSource } from "./nodes.js";
import { requestedVisibility } from "./visibility.js";

/** The row `id` points at, or null when there is none or it is deleted and `includeDeleted` is false. */
export async function toOne(ctx: Context, type: NodeType, id: unknown, includeDeleted: boolean) {
  if (typeof id !== "string") return null;
  const visibility = requestedVisibility(ctx, { includeDeleted });
  return toNode(type, await ctx.loaders.byId(type, visibility).load(id));
}

/** A connection over the rows of `type` whose `column` references `parent`. */
export async function toMany(ctx: Context, type: NodeType, column: PgColumn, parent: NodeSource, args: RelationArgs) {
  const visibility = requestedVisibility(ctx, args);
  const page = await ctx.loaders.children({ type, column, visibility, args: pageArgs(args) }).load(parent.uuid);
  return toConnection(type, page);
}

/** A connection over rows of `type` reached through pivot rows of `pivotType` (many-to-many). */
export async function toManyThrough(
  ctx: Context,
  type: NodeType,
  pivotType: NodeType,
  parentColumn: PgColumn,
  targetColumn: PgColumn,
  parent: NodeSource,
  args: RelationArgs,
) {
  const visibility = requestedVisibility(ctx, args);
  const loader = ctx.loaders.through({ type, pivotType, parentColumn, targetColumn, visibility, args: pageArgs(args) });
  return toConnection(type, await loader.load(parent.uuid));
}
