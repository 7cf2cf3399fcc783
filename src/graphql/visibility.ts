import type { Visibility } from "../engine/visibility.js";
import { roleAtLeast } from "../auth/roles.js";
import type { Context } from "./context.js";
import { ForbiddenError } from "../engine/errors.js";

/**
 * The visibility a read argument asks for, if the caller's role allows it: seeing deleted rows takes EDITOR.
 * @throws FORBIDDEN for a VIEWER asking for deleted rows.
 */
export function requestedVisibility(
  ctx: Context,
  args: { includeDeleted?: boolean; onlyDeleted?: boolean },
): Visibility {
  if (!args.includeDeleted && !args.onlyDeleted) return "LIVE";
  if (!roleAtLeast(ctx.viewer.role, "EDITOR"))
    throw new ForbiddenError(`includeDeleted/onlyDeleted need the EDITOR role; this token has ${ctx.viewer.role}`);
  return args.onlyDeleted ? "DELETED" : "ALL";
}
