/**
 * The engine's expected failures. Each has a fixed `code`, which the API layer turns into
 * `extensions.code`; the engine itself knows nothing of GraphQL.
 */
export type EngineErrorCode =
  | "BAD_USER_INPUT"
  | "NOT_FOUND"
  | "ALREADY_DELETED"
  | "NOT_DELETED"
  | "CONFLICT"
  | "RESTRICTED"
  | "PARENT_DELETED"
  | "FORBIDDEN";

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInputError extends EngineError {
  constructor(field: string, message: string, received?: unknown) {
    super("BAD_USER_INPUT", message, { field, ...(received === undefined ? {} : { received }) });
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
