/**
 * Which GraphQL requests may read from a replica (see db/read-scope.ts): a request whose operations are all
 * queries. A request carrying a mutation anywhere (batched operations run concurrently and share the request)
 * reads from the primary throughout, and so does one whose document the server does not see (e.g. a persisted
 * query by hash). Subscriptions follow live progress and read from the primary.
 */
import type { NextFunction, Request, Response } from "express";
import { execute, getOperationAST, type ExecutionArgs } from "graphql";
import { withReadScope } from "../db/read-scope.js";
import { runAs, withTenantScope } from "../db/tenant-scope.js";
import type { Context } from "../graphql/context.js";

/**
 * True when the document text can only hold queries. The test is on the text, and errs towards the primary:
 * the word `mutation` or `subscription` anywhere (even in a string) is enough.
 */
export function onlyQueries(query: unknown): boolean {
  return typeof query === "string" && query.length > 0 && !/\b(mutation|subscription)\b/.test(query);
}

/**
 * Express middleware (after the JSON body parser): runs the rest of the request in its read scope, and in a
 * tenant scope the request's context sets once it knows the caller (src/db/tenant-scope.ts).
 */
export function readScopeMiddleware(req: Request, _res: Response, next: NextFunction): void {
  const pieces: unknown[] = req.method === "GET" ? [req.query] : Array.isArray(req.body) ? req.body : [req.body];
  const staleOk = pieces.every((p) => onlyQueries((p as { query?: unknown } | null)?.query));
  withTenantScope(() => withReadScope(staleOk, next));
}

/**
 * graphql-ws's and graphql-sse's `execute`: a query over a WebSocket may read from a replica too; the operation
 * acts for its context's tenant.
 */
export function executeInReadScope(args: ExecutionArgs) {
  const operation = getOperationAST(args.document, args.operationName);
  const tenant = (args.contextValue as Context | undefined)?.tenant;
  return runAs(tenant, () => withReadScope(operation?.operation === "query", () => execute(args)));
}
