/**
 * The request pipeline of the streaming transports (graphql-ws over WebSocket, graphql-sse over Server-Sent
 * Events), the same steps Apollo runs over HTTP: trusted documents, parse, validate (without introspection when
 * it is off), client-mistake guards, cost limits; then execution whose errors, even those thrown mid-stream,
 * leave as the masked results every transport shares.
 */
import {
  getOperationAST,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  subscribe,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from "graphql";
import type { Logger } from "pino";
import type { Context, Viewer } from "../graphql/context.js";
import { EngineError } from "../engine/errors.js";
import { toGraphQLError } from "../graphql/errors.js";
import { checkLimits, type Limits } from "../graphql/limits.js";
import { maskError } from "../graphql/mask-error.js";
import { checkRequest } from "../graphql/request-guards.js";
import type { ConnectionCount, SubscriptionQuota } from "./subscription-quota.js";
import type { TrustedDocuments } from "./trusted-documents.js";

/** Longest document parsed, in tokens (Apollo's parser over HTTP has the same limit). */
export const MAX_TOKENS = 50_000;

export interface StreamPipelineOptions {
  schema: GraphQLSchema;
  limits: Limits;
  /** Whether `__schema`/`__type` may be queried; off also hides "Did you mean" hints. */
  introspection: boolean;
  /** With trusted documents, only the manifest's operations run. */
  trusted?: TrustedDocuments | undefined;
  log: Logger;
  /** The entity names whose ids clients know as global ids (see MaskOptions). */
  nodeTypes: readonly string[];
  /** Caps on running subscriptions, shared by the streaming transports. */
  quota: SubscriptionQuota;
}

/** What a streaming client sends for one operation (graphql-ws `subscribe` payload, graphql-sse body). */
export interface StreamRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
  extensions?: unknown;
  documentId?: unknown;
}

export type PreparedOperation = Pick<ExecutionArgs, "schema" | "document" | "operationName" | "variableValues">;

/** The operation ready to run, or the errors (already masked) that refuse it. */
export function prepareOperation(
  request: StreamRequest,
  options: StreamPipelineOptions,
): PreparedOperation | GraphQLError[] {
  const refuse = (errors: readonly GraphQLError[]) => errors.map((e) => clientError(e, options));
  let source: unknown;
  try {
    source = options.trusted ? options.trusted.resolve(request) : request.query;
  } catch (err) {
    if (err instanceof GraphQLError) return refuse([err]);
    throw err;
  }
  if (typeof source !== "string" || source === "")
    return refuse([toGraphQLError(new EngineError("BAD_REQUEST", "query must be a non-empty string"))]);
  const variables = request.variables ?? undefined;
  if (variables !== undefined && (typeof variables !== "object" || variables === null || Array.isArray(variables)))
    return refuse([toGraphQLError(new EngineError("BAD_REQUEST", "variables must be an object"))]);
  const operationName = typeof request.operationName === "string" ? request.operationName : undefined;

  let document: DocumentNode;
  try {
    document = parse(source, { maxTokens: MAX_TOKENS });
  } catch (err) {
    if (err instanceof GraphQLError) return refuse([withCode(err, "GRAPHQL_PARSE_FAILED")]);
    throw err;
  }
  const rules = options.introspection ? specifiedRules : [...specifiedRules, NoSchemaIntrospectionCustomRule];
  const invalid = validate(options.schema, document, rules);
  if (invalid.length) return refuse(invalid.map((e) => withCode(e, "GRAPHQL_VALIDATION_FAILED")));
  const operation = getOperationAST(document, operationName);
  if (!operation)
    return refuse([
      toGraphQLError(
        new EngineError(
          "OPERATION_RESOLUTION_FAILURE",
          operationName
            ? `unknown operation named "${operationName}"`
            : "operationName is required with several operations",
        ),
      ),
    ]);
  try {
    const vars = variables as Record<string, unknown> | undefined;
    checkRequest(options.schema, document, operation, vars, { streaming: true });
    checkLimits(options.schema, document, vars, operationName, options.limits);
  } catch (err) {
    if (err instanceof GraphQLError) return refuse([err]);
    throw err;
  }
  return {
    schema: options.schema,
    document,
    ...(operationName ? { operationName } : {}),
    ...(variables ? { variableValues: variables as Record<string, unknown> } : {}),
  };
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    ...(error.source ? { source: error.source } : {}),
    ...(error.positions ? { positions: error.positions } : {}),
    extensions: { code },
  });
}

/**
 * Admits `prepared` against the subscription caps when it is a subscription.
 * @returns the release to call when the operation ends (a no-op for queries and mutations), or the refusal.
 */
export function admitSubscription(
  prepared: PreparedOperation,
  quota: SubscriptionQuota,
  viewer: Viewer | undefined,
  connection?: ConnectionCount,
): (() => void) | GraphQLError[] {
  const operation = getOperationAST(prepared.document, prepared.operationName);
  if (operation?.operation !== "subscription" || !viewer) return () => {};
  try {
    return quota.admit(viewer, connection);
  } catch (err) {
    if (err instanceof EngineError) return [toGraphQLError(err)];
    throw err;
  }
}

/** The masked form of `error`, as a GraphQLError (graphql-ws and graphql-sse send GraphQLErrors). */
function clientError(error: GraphQLError, options: StreamPipelineOptions): GraphQLError {
  const { formatted, unexpected } = maskError(error.toJSON(), error, {
    hideSuggestions: !options.introspection,
    nodeTypes: options.nodeTypes,
  });
  if (unexpected) options.log.error({ err: unexpected }, "unexpected error");
  return new GraphQLError(formatted.message, {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    ...(error.source ? { source: error.source } : {}),
    ...(error.positions ? { positions: error.positions } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: formatted.extensions ?? {},
  });
}

/** A result with every error masked (and the unexpected ones logged with the operation's request id). */
export function maskResult(result: ExecutionResult, options: StreamPipelineOptions, ctx?: Context): ExecutionResult {
  if (!result.errors?.length) return result;
  const errors = result.errors.map((e) => {
    const { formatted, unexpected } = maskError(e.toJSON(), e, {
      hideSuggestions: !options.introspection,
      nodeTypes: options.nodeTypes,
    });
    if (unexpected) (ctx?.log ?? options.log).error({ err: unexpected }, "unexpected error");
    return formatted;
  });
  return { ...result, errors } as unknown as ExecutionResult;
}

/**
 * graphql-js `subscribe`, except that an error thrown by the event stream (e.g. NOT_FOUND on its first read)
 * becomes a last result carrying that error, so it is masked and keeps its code like any other. Not a generator:
 * `return()` (the client unsubscribed, or its connection closed) reaches the stream at once, even while it waits.
 */
export async function subscribeSafely(
  args: ExecutionArgs,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const result = await subscribe(args);
  if (!(Symbol.asyncIterator in result)) return result;
  let failed = false;
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    next: async () => {
      if (failed) return { done: true, value: undefined };
      try {
        return await result.next();
      } catch (err) {
        failed = true;
        const original = err instanceof Error ? err : new Error(String(err));
        return { done: false, value: { errors: [new GraphQLError(original.message, { originalError: original })] } };
      }
    },
    return: async () => {
      await result.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
