/** Each entity's `Create<Entity>Input` and `Update<Entity>Input`, with their validation, from the domain model. */
import { IsOptional } from "class-validator";
import { Field, InputType, type ClassType } from "type-graphql";
import type { EntityTypeInfo } from "../../domain/domain-model.js";
import { decorateClass, decorateProperty, graphqlScalar, namedClass } from "./decorate.js";

export type InputMode = "create" | "update";

/** The input class of one entity and mode; null when the entity declares no input for that mode. */
export function buildInput(info: EntityTypeInfo, mode: InputMode): ClassType | null {
  const fields = info.inputs.filter((f) => f[mode]);
  if (!fields.length) return null;
  const name = `${mode === "create" ? "Create" : "Update"}${info.name}Input`;
  const Input = namedClass(name);
  for (const f of fields) {
    const required = f[mode] === "required";
    decorateProperty(Input, f.name, [
      Field(graphqlScalar(f.type) as never, {
        nullable: !required,
        ...(f.description ? { description: f.description } : {}),
      }),
      ...(required ? [] : [IsOptional()]),
      ...f.rules,
    ]);
  }
  decorateClass(Input, [InputType(name)]);
  return Input;
}
