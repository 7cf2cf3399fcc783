/**
 * Rejects abusive operations before execution: too deep a selection, too many aliases of one field in one
 * selection set, or too high an estimated cost. Costs follow what a field makes the database do: a plain field 1,
 * a connection READ_COST plus its children times `first`, a `totalCount` COUNT_COST (it counts every matching row),
 * and the reports in HEAVY_FIELDS their own price. Strings are bounded too (text-limits.ts): a reason goes into the
 * append-only audit trail.
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
import { InvalidInputError } from "../engine/errors.js";
import { toGraphQLError } from "./errors.js";
import { checkTextLimits, type TextLimits } from "./text-limits.js";

const refuse = (message: string) => toGraphQLError(new InvalidInputError("query", message, undefined, 400));

export interface Limits extends TextLimits {
  maxDepth: number;
  maxCost: number;
  /** Most response keys (aliases) one field may have in one selection set. */
  maxAliases: number;
}

/** A page read: one statement (or one batched loader call) per level. */
export const READ_COST = 10;
/** `totalCount`: a count over every matching row, not a page. */
export const COUNT_COST = 50;
/** Root fields that scan or recompute a lot: table statistics, the whole audit chain, a rolled-back cascade. */
export const HEAVY_FIELDS: Record<string, number> = {
  "Query.healthReport": 20_000,
  "Query.auditIntegrity": 20_000,
  "Query.deletionPreview": 1_000,
};

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

const heavyEstimator: ComplexityEstimator = ({ type, field, childComplexity }) => {
  const cost = HEAVY_FIELDS[`${type.name}.${field.name}`];
  return cost === undefined ? undefined : cost + childComplexity;
};

/** Whether `set` selects the field `name` at its own level (fragments included). */
function selects(
  set: SelectionSetNode | undefined,
  name: string,
  fragments: Map<string, FragmentDefinitionNode>,
  seen = new Set<string>(),
): boolean {
  return !!set?.selections.some((sel) => {
    if (sel.kind === Kind.FIELD) return sel.name.value === name;
    if (sel.kind === Kind.INLINE_FRAGMENT) return selects(sel.selectionSet, name, fragments, seen);
    const frag = fragments.get(sel.name.value);
    return (
      !!frag &&
      !seen.has(frag.name.value) &&
      selects(frag.selectionSet, name, fragments, new Set([...seen, frag.name.value]))
    );
  });
}

/**
 * A connection: a page read, plus a count when `totalCount` is selected (once per connection, not per row), plus
 * its edges times `first`. `totalCount` itself then costs nothing more.
 */
const pagedEstimator =
  (fragments: Map<string, FragmentDefinitionNode>): ComplexityEstimator =>
  ({ args, childComplexity, node }) =>
    typeof args.first === "number"
      ? READ_COST +
        (selects(node.selectionSet, "totalCount", fragments) ? COUNT_COST : 0) +
        childComplexity * Math.max(args.first, 1)
      : undefined;

const countEstimator: ComplexityEstimator = ({ field }) => (field.name === "totalCount" ? 0 : undefined);

/**
 * The largest number of response keys one field name has in one selection set (fragments spread into it count
 * with it), over the whole operation; `where` names the field.
 */
function mostAliases(
  set: SelectionSetNode | undefined,
  fragments: Map<string, FragmentDefinitionNode>,
): { count: number; where: string } {
  let worst = { count: 0, where: "" };
  const visit = (selectionSet: SelectionSetNode) => {
    const keys = new Map<string, Set<string>>();
    const children: SelectionSetNode[] = [];
    const gather = (s: SelectionSetNode, seen: Set<string>) => {
      for (const sel of s.selections) {
        if (sel.kind === Kind.FIELD) {
          const name = sel.name.value;
          let set = keys.get(name);
          if (!set) keys.set(name, (set = new Set()));
          set.add(sel.alias?.value ?? name);
          if (sel.selectionSet) children.push(sel.selectionSet);
        } else if (sel.kind === Kind.INLINE_FRAGMENT) gather(sel.selectionSet, seen);
        else {
          const frag = fragments.get(sel.name.value);
          if (frag && !seen.has(frag.name.value)) gather(frag.selectionSet, new Set([...seen, frag.name.value]));
        }
      }
    };
    gather(selectionSet, new Set());
    for (const [name, set] of keys) if (set.size > worst.count) worst = { count: set.size, where: name };
    for (const child of children) visit(child);
  };
  if (set) visit(set);
  return worst;
}

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
    const aliases = mostAliases(def.selectionSet, fragments);
    if (aliases.count > limits.maxAliases)
      throw refuse(
        `field ${aliases.where} is selected under ${aliases.count} names in one selection set; the limit is ${limits.maxAliases} (GRAPHQL_MAX_ALIASES)`,
      );
  }
  let cost: number;
  try {
    cost = getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      ...(operationName ? { operationName } : {}),
      estimators: [
        heavyEstimator,
        countEstimator,
        pagedEstimator(fragments),
        simpleEstimator({ defaultComplexity: 1 }),
      ],
    });
  } catch (err) {
    // The library refuses documents over its own node limit (and bad variables, checked before this).
    if (err instanceof GraphQLError) throw refuse(`${err.message} (GRAPHQL_MAX_COST)`);
    throw err;
  }
  if (cost > limits.maxCost)
    throw refuse(`query cost ${cost} exceeds the limit of ${limits.maxCost} (GRAPHQL_MAX_COST)`);
  checkTextLimits(schema, document, variables, limits);
}
