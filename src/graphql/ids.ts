/**
 * Opaque global ids (Relay object identification): base64url of "Type:uuid", so one mutation serves every
 * soft-deletable type and a client never builds ids by hand. Which types exist is the domain model's: callers
 * pass the types they accept (`ctx.engine.registry.names` for any entity).
 */
import { isUuid } from "../engine/sql.js";
import { InvalidInputError } from "../engine/errors.js";

/** An entity's name, as the domain model declares it. */
export type NodeType = string;

export function toGlobalId(type: NodeType, id: string): string {
  return Buffer.from(`${type}:${id}`).toString("base64url");
}

/**
 * Decodes a global id of one of the `expected` types.
 * @throws BAD_USER_INPUT naming `field` for a malformed id or one of another type.
 */
export function fromGlobalId(
  value: string,
  field: string,
  expected: readonly NodeType[],
): { type: NodeType; id: string } {
  const decoded = Buffer.from(value, "base64url").toString();
  const sep = decoded.indexOf(":");
  const type = decoded.slice(0, sep);
  const id = decoded.slice(sep + 1);
  if (sep < 0 || !/^[A-Z][A-Za-z0-9]*$/.test(type) || !isUuid(id))
    throw new InvalidInputError(field, `${field} must be an id returned by this API, got ${JSON.stringify(value)}`);
  if (!expected.includes(type))
    throw new InvalidInputError(
      field,
      `${field} must be the id of a ${expected.join(" or ")}, got the id of a ${type}`,
    );
  // One spelling per row: an uppercase uuid names the same row everywhere (loaders and caches key by the string).
  return { type, id: id.toLowerCase() };
}

/**
 * An audit entry's id: base64url of "AuditEntry:<organization id>:<position in its chain>". Numbered per
 * organization (the chain's `seq`), never by the row id that all organizations share, so the ids a tenant sees
 * count its own entries only and say nothing of other tenants' activity.
 */
export function toAuditEntryId(organizationId: string, seq: number): string {
  return Buffer.from(`AuditEntry:${organizationId}:${seq}`).toString("base64url");
}
