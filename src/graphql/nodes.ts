/**
 * The one place where engine rows become GraphQL objects: the global id replaces the uuid (kept as `uuid`
 * for relation resolvers), and `__typename` drives interface type resolution.
 */
import { encodeCursor, type Page } from "../engine/read.js";
import type { Row } from "../engine/rows.js";
import { toGlobalId, type NodeType } from "./ids.js";
import type { ConnectionSource } from "./types/connection.js";

export type NodeSource = Row & { uuid: string; __typename: NodeType };

export function toNode(type: NodeType, row: Row): NodeSource;
export function toNode(type: NodeType, row: Row | null | undefined): NodeSource | null;
export function toNode(type: NodeType, row: Row | null | undefined): NodeSource | null {
  if (!row) return null;
  // The row stays untouched (loaders cache it) and becomes the prototype: three own properties instead of a
  // copy of every column, for every object of a large nested answer.
  const node = Object.create(row) as NodeSource;
  node.uuid = row.id;
  node.id = toGlobalId(type, row.id);
  node.__typename = type;
  return node;
}

export function toConnection(type: NodeType, page: Page): ConnectionSource<NodeSource> {
  // Cursors are encoded only if asked for: most nested selections never read them.
  const edges = page.rows.map((row) => ({
    node: toNode(type, row),
    get cursor() {
      return encodeCursor(row.cursor);
    },
  }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: page.totalCount,
  };
}
