/**
 * Client mistakes caught before execution, the same way on every transport: variables that fail coercion, null
 * bytes (PostgreSQL text cannot hold them), and operations a transport does not serve. Each becomes a 400
 * BAD_USER_INPUT naming the variable (`$name`, or `name.field` inside an input) or the argument, instead of
 * reaching a resolver or the database.
 */
import {
  getVariableValues,
  Kind,
  visit,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { BadRequestError, RequestInputError, toGraphQLError } from "./errors.js";

/** Where subscriptions are served, for the message that refuses one over plain HTTP. */
export const SUBSCRIPTION_TRANSPORTS = "graphql-ws (WebSocket) on /graphql or Server-Sent Events on /graphql/stream";

export interface GuardOptions {
  /** Whether the transport streams results (WebSocket, SSE); plain HTTP does not run subscriptions. */
  streaming: boolean;
}

/**
 * Refusals are thrown as GraphQLErrors (toGraphQLError), as Apollo plugins must throw them:
 * @throws RequestInputError (BAD_USER_INPUT, 400) for a variable that fails coercion or any null byte.
 * @throws BadRequestError (BAD_REQUEST, 400) for a subscription over plain HTTP.
 */
export function checkRequest(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | null | undefined,
  options: GuardOptions,
): void {
  if (operation.operation === "subscription" && !options.streaming)
    throw toGraphQLError(
      new BadRequestError(`subscriptions are not served over plain HTTP; use ${SUBSCRIPTION_TRANSPORTS}`),
    );
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, { maxErrors: 1 });
  if (coerced.errors?.length) {
    const message = coerced.errors[0]!.message;
    const named = variableOf(message) ?? { field: "variables", variable: "" };
    throw toGraphQLError(new RequestInputError(named.field, message, { variable: named.variable }));
  }
  for (const [name, value] of Object.entries(variables ?? {})) {
    const path = nullBytePath(value, name);
    if (path)
      throw toGraphQLError(
        new RequestInputError(path, `${path} contains a null byte (\\u0000), which text cannot hold`),
      );
  }
  checkInlineStrings(document);
}

/** graphql-js names the variable and, inside an input object, the path: `Variable "$i" got … at "i.email"; …`. */
export function variableOf(message: string): { field: string; variable: string } | undefined {
  const m = /^Variable "\$(\w+)"/.exec(message);
  if (!m) return undefined;
  const at = /\bat "([^"]+)"/.exec(message)?.[1];
  const missing = /; Field "(\w+)" of required type/.exec(message)?.[1];
  return { variable: m[1]!, field: at ?? (missing ? `${m[1]}.${missing}` : m[1]!) };
}

/** The path of the first string holding a NUL inside `value`, or undefined. */
function nullBytePath(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === "string") return value.includes("\u0000") ? path : undefined;
  if (value === null || typeof value !== "object" || depth > 64) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nullBytePath(value[i], `${path}.${i}`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, v] of Object.entries(value)) {
    const found = nullBytePath(v, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function checkInlineStrings(document: DocumentNode): void {
  const names: string[] = [];
  visit(document, {
    Argument: { enter: (node) => void names.push(node.name.value), leave: () => void names.pop() },
    ObjectField: { enter: (node) => void names.push(node.name.value), leave: () => void names.pop() },
    StringValue(node) {
      if (!node.value.includes("\u0000")) return;
      const field = names.join(".") || "query";
      throw toGraphQLError(
        new RequestInputError(field, `${field} contains a null byte (\\u0000), which text cannot hold`),
      );
    },
  });
}

/** Whether the operation selects only `__schema`, `__type` and `__typename` at its root (introspection). */
export function isIntrospectionOnly(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
  const seen = new Set<string>();
  const onlyMeta = (selections: OperationDefinitionNode["selectionSet"]["selections"]): boolean =>
    selections.every((s) => {
      if (s.kind === Kind.FIELD) return s.name.value.startsWith("__");
      if (s.kind === Kind.INLINE_FRAGMENT) return onlyMeta(s.selectionSet.selections);
      const fragment = fragments.get(s.name.value);
      if (!fragment || seen.has(s.name.value)) return true;
      seen.add(s.name.value);
      return onlyMeta(fragment.selectionSet.selections);
    });
  return operation.operation === "query" && onlyMeta(operation.selectionSet.selections);
}
