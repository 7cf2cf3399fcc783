/**
 * Apollo Server plugins for the HTTP transport: the same pre-execution checks as the streaming transports
 * (client-mistake guards, cost limits, tokenless introspection only), the HTTP status of refused requests, and
 * logging of unexpected errors with their request id (masking itself happens in formatError).
 */
import type { ApolloServerPlugin } from "@apollo/server";
import type { Logger } from "pino";
import type { Context } from "../graphql/context.js";
import { UnauthenticatedError } from "../engine/errors.js";
import { toGraphQLError } from "../graphql/errors.js";
import { checkLimits, type Limits } from "../graphql/limits.js";
import { maskError } from "../graphql/mask-error.js";
import { checkRequest, isIntrospectionOnly } from "../graphql/request-guards.js";
import { GRAPHQL_RESPONSE_TYPE } from "./error-response.js";

/** Guards and limits before execution; a tokenless request may only introspect. */
export function requestChecks(limits: Limits): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema, contextValue }) {
          if (!operation) return; // Apollo itself refuses a document without the named operation.
          if (contextValue.anonymous && !isIntrospectionOnly(document, operation))
            throw toGraphQLError(new UnauthenticatedError("missing Authorization: Bearer <token>"));
          checkRequest(schema, document, operation, request.variables, { streaming: false });
          checkLimits(schema, document, request.variables, request.operationName, limits);
        },
      };
    },
  };
}

/**
 * A refused operation (no data, only client errors) answers 400 over `application/json`, as parse and validation
 * failures do; over `application/graphql-response+json` it stays 200 with `data: null`, as the GraphQL-over-HTTP
 * spec asks when the response has a data entry.
 */
export function refusalStatus(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ request }) {
      const graphqlResponse = (request.http?.headers.get("accept") ?? "").includes(GRAPHQL_RESPONSE_TYPE);
      return {
        async willSendResponse({ response }) {
          if (graphqlResponse || response.body.kind !== "single") return;
          const { data, errors } = response.body.singleResult;
          if (data !== null || !errors?.length) return;
          if (response.http.status !== undefined && response.http.status !== 200) return;
          const client = errors.every((e) => e.extensions?.code !== "INTERNAL_SERVER_ERROR");
          if (client) response.http.status = 400;
        },
      };
    },
  };
}

/** Logs unexpected errors with the request id. */
export function errorLogging(log: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const { unexpected } = maskError({ message: error.message }, error);
            if (unexpected) (contextValue?.log ?? log).error({ err: unexpected }, "unexpected error");
          }
        },
      };
    },
  };
}
