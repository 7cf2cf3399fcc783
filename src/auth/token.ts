/**
 * Bearer tokens: HS256 JWTs carrying who (`sub`), with which role (`role`), in which organization (`org`),
 * and always an expiry. Nothing here knows GraphQL or HTTP; the API layer maps `InvalidTokenError` to its
 * own error.
 *
 * Invariant: `verifyToken` either returns all three claims, valid, and the expiry, or throws `InvalidTokenError`; a token
 * problem never surfaces as any other error.
 */
import { errors, jwtVerify, SignJWT } from "jose";
import { isRole, type Role } from "./roles.js";

export interface TokenClaims {
  /** The actor's subject (an email or user id); becomes `OperationContext.actor`. */
  sub: string;
  role: Role;
  /** The organization's slug. */
  org: string;
}

/** What a verified token says: its claims, and when it expires. */
export interface VerifiedToken extends TokenClaims {
  /** The expiry (`exp`), in seconds since the epoch; every token has one. */
  exp: number;
}

/** Shortest secret accepted, as for `AUTH_SECRET`. */
export const MIN_SECRET_LENGTH = 32;
const ALGORITHM = "HS256";
const CLAIMS = ["sub", "role", "org"] as const;

/**
 * Why a token was refused. Short and safe to show a client: it never echoes the token, and a role value is
 * cut and stripped to word characters.
 */
export type InvalidTokenReason =
  "expired" | "not yet valid" | "malformed" | "bad signature" | `missing claim ${string}` | `unknown role ${string}`;

export class InvalidTokenError extends Error {
  override name = "InvalidTokenError";
  constructor(readonly reason: InvalidTokenReason) {
    super(`invalid token: ${reason}`);
  }
}

function keyOf(secret: string): Uint8Array {
  if (secret.length < MIN_SECRET_LENGTH)
    throw new RangeError(
      `the token secret must have at least ${MIN_SECRET_LENGTH} characters, but got ${secret.length}`,
    );
  return new TextEncoder().encode(secret);
}

/**
 * Signs `claims` for `ttlMs` milliseconds from now.
 * @throws RangeError when `ttlMs` is not a positive number (tokens never live forever) or the secret is short.
 * @example await signToken({ sub: "admin@demo.test", role: "ADMIN", org: "demo" }, secret, 12 * 3_600_000)
 */
export async function signToken(claims: TokenClaims, secret: string, ttlMs: number): Promise<string> {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new RangeError(`ttlMs must be a positive number of milliseconds, but got ${ttlMs}`);
  if (!isRole(claims.role)) throw new RangeError(`role must be one of VIEWER, EDITOR, ADMIN, but got ${claims.role}`);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: claims.role, org: claims.org })
    .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + Math.max(1, Math.round(ttlMs / 1000)))
    .sign(keyOf(secret));
}

/**
 * Verifies the signature (HS256 only), the expiry (required) and the claims.
 * @throws InvalidTokenError for anything wrong with the token; RangeError only for a short secret.
 */
export async function verifyToken(token: string, secret: string): Promise<VerifiedToken> {
  const key = keyOf(secret);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key, { algorithms: [ALGORITHM], requiredClaims: ["exp"] }));
  } catch (err) {
    throw new InvalidTokenError(reasonOf(err));
  }
  for (const claim of CLAIMS) {
    const value = payload[claim];
    if (value === undefined || value === null || value === "") throw new InvalidTokenError(`missing claim ${claim}`);
  }
  const { sub, role, org, exp } = payload;
  if (typeof sub !== "string" || typeof org !== "string") throw new InvalidTokenError("malformed");
  if (!isRole(role)) throw new InvalidTokenError(`unknown role ${safe(role)}`);
  // jose has checked that `exp` is a number and in the future.
  return { sub, role, org, exp: exp as number };
}

function reasonOf(err: unknown): InvalidTokenReason {
  if (err instanceof errors.JWTExpired) return "expired";
  // A token signed with another key, or with another algorithm (including "none"), is not ours.
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JOSEAlgNotAllowed)
    return "bad signature";
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === "missing") return `missing claim ${safe(err.claim)}`;
    if (err.claim === "nbf") return "not yet valid";
    return "malformed";
  }
  if (err instanceof errors.JOSEError) return "malformed";
  // jose reports every token problem as a JOSEError; anything else is a bug worth seeing.
  throw err;
}

function safe(value: unknown): string {
  return String(value)
    .replace(/[^\w.-]/g, "?")
    .slice(0, 32);
}

/**
 * The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or undefined when the
 * header is absent or uses another scheme. The token's shape is left to `verifyToken`, so a garbled token
 * is refused as invalid rather than treated as no token at all.
 * @example parseBearer("bearer eyJ…") // "eyJ…"
 */
export function parseBearer(header: string | undefined): string | undefined {
  const match = /^\s*bearer\s+(\S.*?)\s*$/i.exec(header ?? "");
  return match?.[1];
}
