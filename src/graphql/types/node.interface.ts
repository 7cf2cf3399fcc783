import { Field, ID, InterfaceType } from "type-graphql";

/** Relay object identification: every entity has an opaque global id that `node(id:)` resolves. */
@InterfaceType({
  resolveType: (value: { __typename?: string }) => value.__typename,
  // Entity types are listed per schema (orphanedTypes): another model's classes of the same name stay out.
  autoRegisterImplementations: false,
})
export abstract class Node {
  @Field(() => ID, { description: "Opaque global id; encodes the type." })
  id!: string;
}
