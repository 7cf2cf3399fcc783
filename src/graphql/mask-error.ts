/**
 * Every error leaves through here, over HTTP, WebSocket and SSE alike, so a client sees one shape whatever the
 * transport. Expected errors keep their code and details (engine ids shown as the global ids the client sent),
 * and so does a lost database connection (RETRYABLE, however it surfaced); anything else becomes "Unexpected error." with INTERNAL_SERVER_ERROR, and is logged (with the request id) by
 * the caller: no SQL, stack or parameter reaches a client.
 */
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { EngineError } from "../engine/errors.js";
import { isUuid } from "../engine/sql.js";
import { translateConnectionLoss } from "../engine/translate.js";
import { ERROR_CODES, type ErrorCode } from "./errors.js";
import { toGlobalId } from "./ids.js";
import { variableOf } from "./request-guards.js";

export interface Masked {
  formatted: GraphQLFormattedError;
  /** The original error, when it was unexpected and so must be logged. */
  unexpected?: unknown;
}

export interface MaskOptions {
  /**
   * Drop graphql-js's "Did you mean …?" hints, which name schema fields (with introspection off).
   * @default false
   */
  hideSuggestions?: boolean;
  /**
   * The entity names whose ids the client knows as global ids (the domain model's `names`); a `(type, id)`
   * detail of another type (e.g. a bulk operation) keeps its plain id.
   * @default [] (no id is rewritten)
   */
  nodeTypes?: readonly string[];
}

/** `(type, id)` detail pairs whose id the client knows as a global id. */
const ID_DETAILS = [
  ["type", "id"],
  ["parentType", "parentId"],
] as const;

function originalOf(error: unknown): unknown {
  let e = error;
  while (e instanceof GraphQLError && e.originalError && e.originalError !== e) e = e.originalError;
  return e;
}

/** An engine error's message and details with each `(type, uuid)` pair shown as the type's global id. */
function withGlobalIds(
  error: EngineError,
  nodeTypes: readonly string[],
): { message: string; details: Record<string, unknown> } {
  let message = error.message;
  const details = { ...error.details };
  for (const [typeKey, idKey] of ID_DETAILS) {
    const type = details[typeKey];
    const id = details[idKey];
    if (typeof type !== "string" || typeof id !== "string" || !isUuid(id)) continue;
    if (!nodeTypes.includes(type)) continue;
    const global = toGlobalId(type, id);
    details[idKey] = global;
    message = message.split(id).join(global);
  }
  return { message, details };
}

const isCode = (code: unknown): code is ErrorCode =>
  typeof code === "string" && (ERROR_CODES as readonly string[]).includes(code);

export function maskError(formatted: GraphQLFormattedError, error: unknown, options: MaskOptions = {}): Masked {
  const base = {
    message: formatted.message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
  };
  // A database connection lost under the request is transient, not unexpected (wherever it surfaced).
  const original = translateConnectionLoss(originalOf(error));
  if (original instanceof EngineError) {
    // Request-level refusals quote graphql-js's coercion messages, which may end with a schema hint.
    const { message, details } = withGlobalIds(original, options.nodeTypes ?? []);
    const shown = options.hideSuggestions ? withoutSuggestions(message) : message;
    return { formatted: { ...base, message: shown, extensions: { code: original.code, ...details } } };
  }
  const code = (original instanceof GraphQLError ? original.extensions?.code : undefined) ?? formatted.extensions?.code;
  if (
    code === "BAD_USER_INPUT" &&
    original instanceof GraphQLError &&
    Array.isArray(original.extensions?.validationErrors)
  ) {
    const problems = original.extensions.validationErrors as {
      property: string;
      constraints?: Record<string, string>;
      children?: unknown[];
    }[];
    const first = flatten(problems)[0];
    return {
      formatted: {
        ...base,
        message: first ? first.message : "invalid input",
        extensions: { code: "BAD_USER_INPUT", field: first?.field, problems: flatten(problems) },
      },
    };
  }
  // type-graphql's own authorization failure, should one get past the typed authChecker.
  if (code === "UNAUTHORIZED")
    return { formatted: { ...base, message: "this token's role may not do this", extensions: { code: "FORBIDDEN" } } };
  if (isCode(code) && code !== "INTERNAL_SERVER_ERROR") {
    const {
      stacktrace: _s,
      exception: _e,
      http: _h,
      ...rest
    } = (formatted.extensions ?? {}) as Record<string, unknown>;
    const message = options.hideSuggestions ? withoutSuggestions(base.message) : base.message;
    const variable = code === "BAD_USER_INPUT" && !("field" in rest) ? variableOf(message) : undefined;
    return { formatted: { ...base, message, extensions: { ...rest, ...variable, code } } };
  }
  // graphql-js coercion errors (bad variables/arguments) carry no original error and no code.
  if (!code && original instanceof GraphQLError && !original.originalError && !formatted.path)
    return {
      formatted: {
        ...base,
        message: options.hideSuggestions ? withoutSuggestions(base.message) : base.message,
        extensions: { code: "BAD_USER_INPUT", ...variableOf(base.message) },
      },
    };
  return {
    formatted: {
      message: "Unexpected error.",
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    },
    unexpected: original,
  };
}

/** graphql-js ends a message with its hint: `Did you mean "x"?`, `Did you mean the enum value "X"?`. */
export function withoutSuggestions(message: string): string {
  return message.replace(/ Did you mean [^?]*\?$/, "");
}

function flatten(
  errors: { property: string; constraints?: Record<string, string>; children?: unknown[] }[],
  prefix = "",
): { field: string; message: string }[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten((e.children ?? []) as typeof errors, field)];
  });
}
