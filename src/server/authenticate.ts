import { InvalidTokenError, parseBearer, verifyToken } from "../auth/token.js";
import type { Viewer } from "../graphql/context.js";
import { UnauthenticatedError } from "../engine/errors.js";
import type { OrganizationDirectory } from "./organizations.js";

/**
 * The caller behind an `Authorization` value (HTTP header or graphql-ws connection_init payload).
 * @throws UnauthenticatedError for a missing, malformed, expired or foreign-signed token, or an unknown org.
 */
export async function authenticate(
  authorization: unknown,
  secret: string,
  orgs: OrganizationDirectory,
): Promise<Viewer> {
  const token = parseBearer(typeof authorization === "string" ? authorization : undefined);
  if (!token) throw new UnauthenticatedError("missing Authorization: Bearer <token>");
  let claims;
  try {
    claims = await verifyToken(token, secret);
  } catch (err) {
    if (err instanceof InvalidTokenError) throw new UnauthenticatedError(err.reason);
    throw err;
  }
  const organizationId = await orgs.idOf(claims.org);
  if (!organizationId) throw new UnauthenticatedError(`unknown organization ${JSON.stringify(claims.org)}`);
  return {
    subject: claims.sub,
    role: claims.role,
    organizationId,
    organizationSlug: claims.org,
    expiresAt: claims.exp * 1000,
  };
}
