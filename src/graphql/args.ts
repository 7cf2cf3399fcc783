// Decorated, and imported by the read compiler before the schema module: the metadata polyfill comes first.
import "reflect-metadata";
import { ArgsType, Field, Int } from "type-graphql";
import { decodeCursor, type PageArgs } from "../engine/read.js";
import { InvalidInputError } from "../engine/errors.js";

export const MAX_PAGE_SIZE = 100;

@ArgsType()
export class RelationArgs {
  @Field(() => Int, { defaultValue: 20, description: `Page size, 0 to ${MAX_PAGE_SIZE}.` })
  first!: number;

  @Field(() => String, { nullable: true, description: "Cursor of the last edge already seen." })
  after?: string | null;

  @Field(() => Boolean, { defaultValue: false, description: "Also return soft-deleted rows (EDITOR and above)." })
  includeDeleted!: boolean;
}

@ArgsType()
export class ListArgs extends RelationArgs {
  @Field(() => Boolean, {
    defaultValue: false,
    description: "Return only soft-deleted rows: the trash (EDITOR and above).",
  })
  onlyDeleted!: boolean;
}

@ArgsType()
export class IncludeDeletedArgs {
  @Field(() => Boolean, {
    defaultValue: false,
    description: "Resolve the row even if soft-deleted (EDITOR and above).",
  })
  includeDeleted!: boolean;
}

export function pageArgs(args: { first: number; after?: string | null }): PageArgs {
  if (!Number.isInteger(args.first) || args.first < 0 || args.first > MAX_PAGE_SIZE)
    throw new InvalidInputError("first", `first must be between 0 and ${MAX_PAGE_SIZE}, got ${args.first}`);
  return { first: args.first, after: decodeCursor(args.after) };
}
