/**
 * The API's error contract: every error a client sees carries one of these `extensions.code` values.
 * Expected failures are typed classes; anything else is masked by `formatError` (see mask-error.ts).
 */
import { GraphQLError } from "graphql";

export const ERROR_CODES = [
  "BAD_USER_INPUT",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "ALREADY_DELETED",
  "NOT_DELETED",
  "CONFLICT",
  "RESTRICTED",
  "PARENT_DELETED",
  "INTERNAL_SERVER_ERROR",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class ApiError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}, httpStatus?: number) {
    super(message, { extensions: { code, ...extensions, ...(httpStatus ? { http: { status: httpStatus } } : {}) } });
  }
}

export class UnauthenticatedError extends ApiError {
  constructor(reason: string) {
    super("UNAUTHENTICATED", `a valid bearer token is required: ${reason}`, {}, 401);
  }
}

export class ForbiddenError extends ApiError {
  constructor(message: string) {
    super("FORBIDDEN", message);
  }
}

export class BadUserInputError extends ApiError {
  constructor(field: string, message: string) {
    super("BAD_USER_INPUT", message, { field });
  }
}
