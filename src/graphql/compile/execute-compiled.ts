/**
 * Runs a query operation through the read compiler when every root field compiles: one statement per root field,
 * the answer built by PostgreSQL. Returns null whenever the resolvers must answer instead (a mutation or
 * subscription, a field the compiler does not know, an argument the resolvers would refuse, bad variables, a
 * statement that fails): the caller then executes the operation as usual, which yields the exact answer and errors
 * the API always gave.
 */
import {
  getOperationAST,
  getVariableValues,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLSchema,
} from "graphql";
import { rows } from "../../engine/sql.js";
import type { Context } from "../context.js";
import { COMPILED_STATEMENTS_AT_ONCE, mapLimited } from "../request-share.js";
import { compileRead } from "./compile-read.js";
import type { ReadModel } from "./read-model.js";

export interface CompiledRequest {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null | undefined;
  /** As the client sent them (coerced here). */
  variables?: Readonly<Record<string, unknown>> | null | undefined;
  contextValue: Context;
}

export async function executeCompiled(model: ReadModel, request: CompiledRequest): Promise<ExecutionResult | null> {
  const operation = getOperationAST(request.document, request.operationName);
  if (!operation || operation.operation !== "query") return null;
  const coerced = getVariableValues(request.schema, operation.variableDefinitions ?? [], request.variables ?? {});
  if (coerced.errors) return null;
  const fragments: Record<string, FragmentDefinitionNode> = Object.create(null);
  for (const def of request.document.definitions)
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
  const ctx = request.contextValue;
  const fields = compileRead(request.schema, model, operation, fragments, coerced.coerced, ctx);
  if (!fields) return null;
  let values: unknown[];
  try {
    values = await mapLimited(fields, COMPILED_STATEMENTS_AT_ONCE, async (f) =>
      f.statement ? parseJson((await rows<{ j: string | null }>(ctx.engine.db, f.statement))[0]?.j) : f.constant,
    );
  } catch (err) {
    // E.g. a cursor Date.parse accepts and PostgreSQL does not: the resolvers report it as they always did.
    ctx.log.debug({ err }, "compiled read failed; running it through the resolvers");
    return null;
  }
  const data: Record<string, unknown> = {};
  fields.forEach((f, i) => (data[f.key] = values[i]));
  return { data };
}

/** A statement's answer is JSON text (see compile-read.ts). */
function parseJson(text: string | null | undefined): unknown {
  return text == null ? null : JSON.parse(text);
}
