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

/** What a RETRYABLE failure did to the request's changes, when its database connection was lost. */
export type RetryOutcome =
  /** The transaction had not reached COMMIT: PostgreSQL rolled it back, nothing was applied. */
  | "NOT_APPLIED"
  /**
   * The connection was lost during COMMIT, or outside a transaction (a query, or a single-statement write such as
   * queueing a bulk operation): the change may have been applied. A query may be sent again as it is.
   */
  | "UNKNOWN";

const RETRY_MESSAGES = {
  CONCURRENT_CHANGE: "the request met concurrent changes (a deadlock or serialization failure); send it again",
  NOT_APPLIED:
    "the database connection was lost before the change was committed (the database restarted or ended the session): nothing was applied; send it again",
  UNKNOWN:
    "the database connection was lost during the request (the database restarted or ended the session): a query may be sent again; a change may or may not have been applied, so read it back before sending it again",
};

/**
 * A transient failure: the same request may succeed. A deadlock or serialization failure that outlived the
 * engine's own retries (`cause: "CONCURRENT_CHANGE"`, rolled back), or a database connection lost under the
 * request (`cause: "CONNECTION_LOST"`, with its `outcome`: whether a change can have been applied).
 */
export class RetryableError extends EngineError {
  constructor(lost?: { outcome: RetryOutcome; error: unknown; httpStatus?: number | undefined }) {
    super(
      "RETRYABLE",
      RETRY_MESSAGES[lost?.outcome ?? "CONCURRENT_CHANGE"],
      lost
        ? { retryable: true, cause: "CONNECTION_LOST", outcome: lost.outcome }
        : { retryable: true, cause: "CONCURRENT_CHANGE", outcome: "NOT_APPLIED" },
      lost?.httpStatus,
    );
    // Kept for the server's log, never sent to a client (details are).
    if (lost) this.cause = lost.error;
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
