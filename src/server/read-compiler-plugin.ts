/**
 * The read fast path over HTTP: after validation and the request checks (limits, in didResolveOperation), a query
 * whose every root field compiles is answered by PostgreSQL (see graphql/compile) and graphql-js never executes it;
 * anything else goes on to normal execution. WebSocket and SSE operations run through the resolvers.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import type { Context } from "../graphql/context.js";
import { executeCompiled } from "../graphql/compile/execute-compiled.js";
import type { ReadModel } from "../graphql/compile/read-model.js";

/** `onQuery` is told how each query operation was answered (for the metrics). */
export function readCompilerPlugin(
  model: ReadModel,
  onQuery?: (outcome: "compiled" | "resolvers") => void,
): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async responseForOperation({ schema, document, operation, operationName, request, contextValue, response }) {
          const result = await executeCompiled(model, {
            schema,
            document,
            operationName,
            variables: request.variables,
            contextValue,
          });
          if (operation?.operation === "query") onQuery?.(result ? "compiled" : "resolvers");
          return result ? { http: response.http, body: { kind: "single", singleResult: result } } : null;
        },
      };
    },
  };
}
