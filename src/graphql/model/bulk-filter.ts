/** `BulkFilterInput` and its translation to the engine's filter, from the bulk filters the entities declare. */
import { DateTimeResolver } from "graphql-scalars";
import { Field, ID, InputType, type ClassType } from "type-graphql";
import type { DomainModel } from "../../domain/domain-model.js";
import type { BulkFilter } from "../../engine/bulk/index.js";
import { InvalidInputError } from "../../engine/errors.js";
import { fromGlobalId } from "../ids.js";
import { SoftDeletableType } from "../types/payloads.types.js";
import { decorateClass, decorateProperty, namedClass } from "./decorate.js";

/** What clients send: a type, reference filters by name, and a creation-time window. */
export type BulkFilterValue = { type: string; createdBefore?: Date | null; createdAfter?: Date | null } & Record<
  string,
  unknown
>;

export function buildBulkFilterInput(model: DomainModel): ClassType {
  const Input = namedClass("BulkFilterInput");
  decorateProperty(Input, "type", [Field(() => SoftDeletableType)]);
  for (const filter of model.bulkFilters.values())
    decorateProperty(Input, filter.name, [
      Field(() => ID, { nullable: true, ...(filter.description ? { description: filter.description } : {}) }),
    ]);
  decorateProperty(Input, "createdBefore", [Field(() => DateTimeResolver, { nullable: true })]);
  decorateProperty(Input, "createdAfter", [Field(() => DateTimeResolver, { nullable: true })]);
  decorateClass(Input, [
    InputType("BulkFilterInput", { description: "Rows of one type, narrowed by parent and creation time." }),
  ]);
  return Input;
}

/** The engine's filter: each given reference filter becomes a column of the type (BAD_USER_INPUT if none). */
export function toBulkFilter(model: DomainModel, input: BulkFilterValue): BulkFilter {
  const references: Record<string, string> = {};
  for (const filter of model.bulkFilters.values()) {
    const value = input[filter.name];
    if (value === undefined || value === null) continue;
    const column = filter.columns.get(input.type);
    if (!column)
      throw new InvalidInputError(`filter.${filter.name}`, `filter.${filter.name} does not apply to ${input.type}`);
    references[column] = fromGlobalId(String(value), `filter.${filter.name}`, [filter.target]).id;
  }
  return {
    type: input.type,
    references,
    ...(input.createdBefore ? { createdBefore: input.createdBefore.toISOString() } : {}),
    ...(input.createdAfter ? { createdAfter: input.createdAfter.toISOString() } : {}),
  };
}
