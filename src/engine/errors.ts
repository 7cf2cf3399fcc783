/**
 * THE error hierarchy and its one code list. Every expected failure, of the engine or of the API, is an
 * `EngineError` with a fixed `code` and details; the API turns it into a GraphQLError in one place
 * (src/graphql/errors.ts: `code` becomes `extensions.code`, details the other extensions). The engine itself
 * knows nothing of GraphQL. Anything that is not an EngineError is unexpected and masked.
 *
 * Mistakes in what the server is built from (entity declarations, settings) are `SetupError`s: found at
 * start-up, never a client's fault, never sent to one.
 */

/** Every `extensions.code` a client may see. */
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
  "RETRYABLE",
  "LIMIT_EXCEEDED",
  // Apollo's request-level codes (the operation could not be run at all), kept so Apollo Client's links and
  // other clients that key on them (a persisted-query link retries on PERSISTED_QUERY_NOT_FOUND) work unchanged.
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
  "BAD_REQUEST",
  "INTERNAL_SERVER_ERROR",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
/** @deprecated the one code list is `ErrorCode`. */
export type EngineErrorCode = ErrorCode;

export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** The HTTP status when the error refuses a whole request (e.g. 401). */
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** BAD_USER_INPUT naming the field (and the value received, when it helps). */
export class InvalidInputError extends EngineError {
  constructor(field: string, message: string, received?: unknown, httpStatus?: number) {
    super("BAD_USER_INPUT", message, { field, ...(received === undefined ? {} : { received }) }, httpStatus);
  }
}

export class UnauthenticatedError extends EngineError {
  constructor(reason: string) {
    super("UNAUTHENTICATED", `a valid bearer token is required: ${reason}`, {}, 401);
  }
}

export class ForbiddenError extends EngineError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("FORBIDDEN", message, details);
  }
}

/** Unknown id, or another organization's id: the two are indistinguishable on purpose. */
export class NotFoundError extends EngineError {
  constructor(type: string, id: string) {
    super("NOT_FOUND", `${type} ${id} was not found`, { type, id });
  }
}

export class AlreadyDeletedError extends EngineError {
  constructor(type: string, id: string, action = "soft-delete") {
    super("ALREADY_DELETED", `${type} ${id} is deleted; cannot ${action} it (restore it first)`, { type, id });
  }
}

export class NotDeletedError extends EngineError {
  constructor(type: string, id: string, action = "restore") {
    super("NOT_DELETED", `${type} ${id} is not deleted; only a soft-deleted row can be ${action}d`, { type, id });
  }
}

export class ConflictError extends EngineError {
  constructor(type: string, key: string[], constraint: string) {
    super("CONFLICT", `a live ${type} already holds the unique key (${key.join(", ")})`, { type, key, constraint });
  }
}

export class RestrictedError extends EngineError {
  constructor(message: string, details: Record<string, unknown>) {
    super("RESTRICTED", message, details);
  }
}

export class ParentDeletedError extends EngineError {
  constructor(type: string, relation: string, parentType: string, parentId: string) {
    super("PARENT_DELETED", `${type} cannot be live while its ${parentType} ${parentId} is deleted (${relation})`, {
      type,
      relation,
      parentType,
      parentId,
    });
  }
}

/** A deadlock or serialization failure that outlived the engine's own retries: the same request may succeed. */
export class RetryableError extends EngineError {
  constructor() {
    super("RETRYABLE", "the request met concurrent changes (a deadlock or serialization failure); send it again", {
      retryable: true,
    });
  }
}

/** A mistake in what the server is built from; found at start-up. */
export class SetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An entity, relation or personal-data declaration that names something undeclared or is inconsistent. */
export class DeclarationError extends SetupError {}

/** A setting whose value the declarations refuse (e.g. a retention override naming no entity). */
export class InvalidSettingError extends SetupError {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}
