import { Field, ID, InterfaceType } from "type-graphql";

/** Relay object identification: every entity has an opaque global id that `node(id:)` resolves. */
@InterfaceType({ resolveType: (value: { __typename?: string }) => value.__typename })
export abstract class Node {
  @Field(() => ID, { description: "Opaque global id; encodes the type." })
  id!: string;
}
