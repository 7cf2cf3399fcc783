/**
 * Errors answered by the HTTP layer itself (before or around Apollo) in the GraphQL response shape, with the
 * media type the client accepts: `application/graphql-response+json` when it asks for it, JSON otherwise.
 */
import type { Request, Response } from "express";
import type { GraphQLFormattedError } from "graphql";

export const GRAPHQL_RESPONSE_TYPE = "application/graphql-response+json";

export function sendErrors(req: Request, res: Response, status: number, errors: GraphQLFormattedError[]): void {
  const type = (req.headers.accept ?? "").includes(GRAPHQL_RESPONSE_TYPE) ? GRAPHQL_RESPONSE_TYPE : "application/json";
  res.status(status).type(`${type}; charset=utf-8`).send(JSON.stringify({ errors }));
}
