/**
 * Bounds every string a client sends, before execution, over HTTP and WebSocket alike: a `reason` argument at
 * `maxReasonLength` (it goes into the append-only audit trail), any other string argument or input field at
 * `maxTextLength`. Beyond them: BAD_USER_INPUT naming the argument path, and nothing runs.
 */
import {
  isInputObjectType,
  isListType,
  isNonNullType,
  TypeInfo,
  valueFromAST,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
} from "graphql";
import { RequestInputError, toGraphQLError } from "./errors.js";

export interface TextLimits {
  /** Longest `reason` argument, in characters (MAX_REASON_LENGTH). */
  maxReasonLength: number;
  /** Longest other string argument or input field, in characters (MAX_TEXT_LENGTH). */
  maxTextLength: number;
}

/** @throws RequestInputError (BAD_USER_INPUT, 400) naming the first string over its limit. */
export function checkTextLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined | null,
  limits: TextLimits,
): void {
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        const arg = typeInfo.getArgument();
        if (!arg) return;
        const value = valueFromAST(node.value, arg.type, variables ?? undefined);
        const max = node.name.value === "reason" ? limits.maxReasonLength : limits.maxTextLength;
        const setting = node.name.value === "reason" ? "MAX_REASON_LENGTH" : "MAX_TEXT_LENGTH";
        walk(value, arg.type, node.name.value, max, setting, limits.maxTextLength);
      },
    }),
  );
}

function walk(
  value: unknown,
  type: GraphQLInputType,
  path: string,
  max: number,
  setting: string,
  textMax: number,
): void {
  if (value === null || value === undefined) return;
  if (isNonNullType(type)) return walk(value, type.ofType, path, max, setting, textMax);
  if (isListType(type)) {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, type.ofType, `${path}.${i}`, max, setting, textMax));
    return;
  }
  if (isInputObjectType(type)) {
    const fields = type.getFields();
    for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
      const field = fields[name];
      if (field) walk(v, field.type, `${path}.${name}`, textMax, "MAX_TEXT_LENGTH", textMax);
    }
    return;
  }
  if (typeof value === "string" && value.length > max)
    throw toGraphQLError(
      new RequestInputError(path, `${path} is ${value.length} characters long, over the limit of ${max} (${setting})`, {
        maxLength: max,
      }),
    );
}
