import { defaultOf } from "../config/settings.js";
import { InvalidInputError } from "./errors.js";

/**
 * A reason goes into the append-only audit trail, so its length is bounded for every caller (API, CLI, jobs).
 * @returns the trimmed reason, or null when empty.
 * @throws BAD_USER_INPUT (field `reason`) beyond `max` characters.
 */
export function boundedReason(
  reason: string | null | undefined,
  max: number = defaultOf("MAX_REASON_LENGTH"),
): string | null {
  const trimmed = reason?.trim() || null;
  if (trimmed && trimmed.length > max)
    throw new InvalidInputError(
      "reason",
      `reason is ${trimmed.length} characters long, over the limit of ${max} (MAX_REASON_LENGTH)`,
      trimmed.length,
    );
  return trimmed;
}
