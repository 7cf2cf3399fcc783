/** Each entity's object type and connection, generated from the domain model. */
import { Field, ObjectType, type ClassType } from "type-graphql";
import { COMMON_FIELDS, type DomainModel, type EntityTypeInfo } from "../../domain/domain-model.js";
import { ConnectionType } from "../types/connection.js";
import { Node } from "../types/node.interface.js";
import { EntityFields, SoftDeletable } from "../types/soft-deletable.interface.js";
import { decorateClass, decorateProperty, graphqlScalar, namedClass } from "./decorate.js";

export interface EntityClasses {
  type: ClassType;
  connection: ClassType;
}

/** Fields every entity type inherits from `EntityFields`. */
const INHERITED = new Set<string>(COMMON_FIELDS);

function objectType(info: EntityTypeInfo): ClassType {
  const Type = namedClass(info.name, EntityFields as unknown as ClassType);
  for (const f of info.fields) {
    if (INHERITED.has(f.name)) continue;
    decorateProperty(Type, f.name, [Field(graphqlScalar(f.type) as never, { nullable: f.nullable })]);
  }
  decorateClass(Type, [
    ObjectType(info.name, {
      implements: [Node, SoftDeletable],
      simpleResolvers: true,
      ...(info.description ? { description: info.description } : {}),
    }),
  ]);
  return Type;
}

function connectionType(name: string, Type: ClassType): ClassType {
  const Connection = namedClass(`${name}Connection`, ConnectionType(Type, name) as unknown as ClassType);
  decorateClass(Connection, [ObjectType(`${name}Connection`)]);
  return Connection;
}

export function buildObjectTypes(model: DomainModel): Map<string, EntityClasses> {
  const classes = new Map<string, EntityClasses>();
  for (const info of model.types.values()) {
    const type = objectType(info);
    classes.set(info.name, { type, connection: connectionType(info.name, type) });
  }
  return classes;
}
