/**
 * The one place where expected errors (src/engine/errors.ts, the one hierarchy and code list) become
 * GraphQLErrors: `code` → `extensions.code`, details → the other extensions, and the HTTP status of a refused
 * request. Everything else is masked by `formatError` (see mask-error.ts).
 *
 * The request-level errors below are the API's own members of that hierarchy: refusals found before execution.
 */
import { GraphQLError } from "graphql";
import { EngineError, InvalidInputError } from "../engine/errors.js";

export { ERROR_CODES, type ErrorCode } from "../engine/errors.js";

/** The extensions a client sees for an expected error. */
export function extensionsOf(error: EngineError): Record<string, unknown> {
  return { code: error.code, ...error.details };
}

/** An expected error as a GraphQLError, for the places that must hand one over (plugins, WebSocket, SSE). */
export function toGraphQLError(error: EngineError): GraphQLError {
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: {
      ...extensionsOf(error),
      ...(error.httpStatus ? { http: { status: error.httpStatus } } : {}),
    },
  });
}

/** Rethrow helper: an expected error as a GraphQLError, anything else unchanged (it will be masked). */
export function asGraphQLError(error: unknown): unknown {
  return error instanceof EngineError ? toGraphQLError(error) : error;
}

/**
 * A client mistake found before execution (a variable that fails coercion, a null byte, a limit): HTTP 400,
 * naming the variable (`$name`) or field.
 */
export class RequestInputError extends InvalidInputError {
  constructor(field: string, message: string, extensions: Record<string, unknown> = {}) {
    super(field, message, undefined, 400);
    Object.assign(this.details, extensions);
  }
}

/** The HTTP request itself is unusable (malformed JSON, unsupported charset or encoding, too large). */
export class BadRequestError extends EngineError {
  constructor(message: string, status = 400) {
    super("BAD_REQUEST", message, {}, status);
  }
}

/** A per-connection or per-caller cap is reached (`extensions.limit` names its setting): retry once one ends. */
export class LimitExceededError extends EngineError {
  constructor(limit: string, message: string) {
    super("LIMIT_EXCEEDED", message, { limit });
  }
}

/** A persisted or trusted document the server does not hold: the client may retry with the full query. */
export class PersistedQueryNotFoundError extends EngineError {
  constructor(message = "PersistedQueryNotFound") {
    super("PERSISTED_QUERY_NOT_FOUND", message);
  }
}
