/**
 * Opaque global ids (Relay object identification): base64url of "Type:uuid", so one mutation serves every
 * soft-deletable type and a client never builds ids by hand.
 */
import { isUuid } from "../engine/sql.js";
import { BadUserInputError } from "./errors.js";

export const NODE_TYPES = ["User", "Project", "Task", "Comment", "TaskAssignment"] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export function toGlobalId(type: NodeType, id: string): string {
  return Buffer.from(`${type}:${id}`).toString("base64url");
}

/**
 * Decodes a global id; `expected` restricts the type.
 * @throws BAD_USER_INPUT naming `field` for a malformed id or one of another type.
 */
export function fromGlobalId<T extends NodeType>(
  value: string,
  field: string,
  expected: readonly T[] = NODE_TYPES as unknown as T[],
): { type: T; id: string } {
  const decoded = Buffer.from(value, "base64url").toString();
  const sep = decoded.indexOf(":");
  const type = decoded.slice(0, sep) as T;
  const id = decoded.slice(sep + 1);
  if (sep < 0 || !(NODE_TYPES as readonly string[]).includes(type) || !isUuid(id))
    throw new BadUserInputError(field, `${field} must be an id returned by this API, got ${JSON.stringify(value)}`);
  if (!expected.includes(type))
    throw new BadUserInputError(
      field,
      `${field} must be the id of a ${expected.join(" or ")}, got the id of a ${type}`,
    );
  return { type, id };
}
