/**
 * Rejects abusive operations before execution: too deep a selection, or too high an estimated cost
 * (each field costs 1, and a list field multiplies its children by its `first`).
 */
import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
} from "graphql";
import { getComplexity, simpleEstimator, type ComplexityEstimator } from "graphql-query-complexity";
import { ApiError } from "./errors.js";

const refuse = (message: string) => new ApiError("BAD_USER_INPUT", message, { field: "query" }, 400);

export interface Limits {
  maxDepth: number;
  maxCost: number;
}

function depthOf(
  set: SelectionSetNode | undefined,
  fragments: Map<string, FragmentDefinitionNode>,
  seen: Set<string>,
): number {
  if (!set) return 0;
  let max = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      if (sel.name.value.startsWith("__")) continue;
      max = Math.max(max, 1 + depthOf(sel.selectionSet, fragments, seen));
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      max = Math.max(max, depthOf(sel.selectionSet, fragments, seen));
    } else {
      const name = sel.name.value;
      const frag = fragments.get(name);
      if (!frag || seen.has(name)) continue;
      max = Math.max(max, depthOf(frag.selectionSet, fragments, new Set([...seen, name])));
    }
  }
  return max;
}

const pagedEstimator: ComplexityEstimator = ({ args, childComplexity }) =>
  typeof args.first === "number" ? 1 + childComplexity * Math.max(args.first, 1) : undefined;

/** @throws BAD_USER_INPUT when the operation exceeds a limit. */
export function checkLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
  limits: Limits,
): void {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  for (const def of document.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    if (operationName && def.name?.value !== operationName) continue;
    const depth = depthOf(def.selectionSet, fragments, new Set());
    if (depth > limits.maxDepth)
      throw refuse(`query depth ${depth} exceeds the limit of ${limits.maxDepth} (GRAPHQL_MAX_DEPTH)`);
  }
  let cost: number;
  try {
    cost = getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      ...(operationName ? { operationName } : {}),
      estimators: [pagedEstimator, simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch (err) {
    // The library refuses documents over its own node limit (and bad variables, checked before this).
    if (err instanceof GraphQLError) throw refuse(`${err.message} (GRAPHQL_MAX_COST)`);
    throw err;
  }
  if (cost > limits.maxCost)
    throw refuse(`query cost ${cost} exceeds the limit of ${limits.maxCost} (GRAPHQL_MAX_COST)`);
}
