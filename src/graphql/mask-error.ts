/**
 * Every error leaves through here, over HTTP and WebSocket alike. Expected errors keep their code and
 * details; anything else becomes "Unexpected error." with INTERNAL_SERVER_ERROR, and is logged (with the
 * request id) by the caller: no SQL, stack or parameter reaches a client.
 */
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { EngineError } from "../engine/errors.js";
import { ERROR_CODES, type ErrorCode } from "./errors.js";

/** Apollo's and graphql-js's own request errors: the client sent something unusable. */
const REQUEST_ERROR_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);

export interface Masked {
  formatted: GraphQLFormattedError;
  /** The original error, when it was unexpected and so must be logged. */
  unexpected?: unknown;
}

function originalOf(error: unknown): unknown {
  let e = error;
  while (e instanceof GraphQLError && e.originalError && e.originalError !== e) e = e.originalError;
  return e;
}

export function maskError(formatted: GraphQLFormattedError, error: unknown): Masked {
  const base = {
    message: formatted.message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
  };
  const original = originalOf(error);
  if (original instanceof EngineError)
    return {
      formatted: { ...base, message: original.message, extensions: { code: original.code, ...original.details } },
    };
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
  if (code === "UNAUTHORIZED") return { formatted: { ...base, extensions: { code: "FORBIDDEN" } } };
  if (
    typeof code === "string" &&
    (ERROR_CODES as readonly string[]).includes(code) &&
    code !== "INTERNAL_SERVER_ERROR"
  ) {
    const {
      stacktrace: _s,
      exception: _e,
      http: _h,
      ...rest
    } = (formatted.extensions ?? {}) as Record<string, unknown>;
    return { formatted: { ...base, extensions: { ...rest, code: code as ErrorCode } } };
  }
  if (typeof code === "string" && REQUEST_ERROR_CODES.has(code))
    return { formatted: { ...base, extensions: { code: "BAD_USER_INPUT", reason: code } } };
  // graphql-js coercion errors (bad variables/arguments) carry no original error and no code.
  if (!code && original instanceof GraphQLError && !original.originalError && !formatted.path)
    return { formatted: { ...base, extensions: { code: "BAD_USER_INPUT" } } };
  return {
    formatted: {
      message: "Unexpected error.",
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    },
    unexpected: original,
  };
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
