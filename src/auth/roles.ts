/** The roles a token can carry, weakest first: each role may do everything the ones before it may. */
export const ROLES = ["VIEWER", "EDITOR", "ADMIN"] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/**
 * Whether `role` grants at least what `min` grants.
 * @example roleAtLeast("ADMIN", "EDITOR") // true
 * @example roleAtLeast("VIEWER", "EDITOR") // false
 */
export function roleAtLeast(role: Role, min: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(min);
}
