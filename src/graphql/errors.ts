/**
 * The API's error contract: every error a client sees carries one of these `extensions.code` values.
 * Expected failures are typed classes; anything else is masked by `formatError` (see mask-error.ts).
 * The request-level codes are Apollo's standard ones, so Apollo Client's links and other clients that key on
 * them (a persisted-query link retries on PERSISTED_QUERY_NOT_FOUND) work unchanged.
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
  // Apollo's request-level codes: the operation could not be run at all.
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
  "BAD_REQUEST",
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
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super("FORBIDDEN", message, extensions);
  }
}

export class BadUserInputError extends ApiError {
  constructor(field: string, message: string) {
    super("BAD_USER_INPUT", message, { field });
  }
}

/**
 * A client mistake found before execution (a variable that fails coercion, a null byte, a limit): HTTP 400,
 * naming the variable (`$name`) or field.
 */
export class RequestInputError extends ApiError {
  constructor(field: string, message: string, extensions: Record<string, unknown> = {}) {
    super("BAD_USER_INPUT", message, { field, ...extensions }, 400);
  }
}

/** The HTTP request itself is unusable (malformed JSON, unsupported charset or encoding, too large). */
export class BadRequestError extends ApiError {
  constructor(message: string, status = 400) {
    super("BAD_REQUEST", message, {}, status);
  }
}

/** A persisted or trusted document the server does not hold: the client may retry with the full query. */
export class PersistedQueryNotFoundError extends ApiError {
  constructor(message = "PersistedQueryNotFound") {
    super("PERSISTED_QUERY_NOT_FOUND", message);
  }
}
