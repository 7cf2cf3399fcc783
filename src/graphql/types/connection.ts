import { Field, Int, ObjectType, type ClassType } from "type-graphql";
import { PageInfo } from "./page-info.type.js";

/** What a connection resolves from: edges, page info and a count (a thunk when it costs a query). */
export interface ConnectionSource<T> {
  edges: { node: T; cursor: string }[];
  pageInfo: PageInfo;
  totalCount: number | (() => Promise<number>);
}

/** A Relay connection type for `NodeClass`, named `${name}Connection` with `${name}Edge`. */
export function ConnectionType<T extends object>(NodeClass: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true })
  class Edge {
    @Field(() => NodeClass)
    node!: T;

    @Field(() => String)
    cursor!: string;
  }

  @ObjectType(`${name}ConnectionBase`)
  abstract class Connection {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    totalCount!: number | (() => Promise<number>);

    @Field(() => Int, { name: "totalCount", description: "Rows matching, across all pages." })
    count(): number | Promise<number> {
      return typeof this.totalCount === "function" ? this.totalCount() : this.totalCount;
    }
  }
  return Connection;
}
