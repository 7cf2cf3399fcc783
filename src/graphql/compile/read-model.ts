/**
 * What the read compiler knows about the schema, taken from the domain model (src/domain/domain-model.ts), the
 * same declarations the GraphQL types and their resolvers are generated from: for each entity type its relation
 * fields (to-one, to-many, many-to-many) and scalar fields, and the root read fields. Nothing here is written by
 * hand, so an entity added by declaration is compiled like the others. A field this model does not know is not
 * compiled: the whole operation then runs through the resolvers, so an unknown field can never be answered wrongly.
 */
import type { PgColumn } from "drizzle-orm/pg-core";
import type { DomainModel, RelationFieldInfo } from "../../domain/domain-model.js";
import type { Entity, Registry } from "../../engine/registry.js";
import type { NodeType } from "../ids.js";

/** A to-one field: `column` is the parent's field holding the target's id. */
export interface ToOne {
  kind: "one";
  target: NodeType;
  column: string;
}

/** A to-many connection: `column` is the target's field holding the parent's id. */
export interface ToMany {
  kind: "many";
  target: NodeType;
  column: string;
}

/**
 * A many-to-many connection over `pivot` rows: `parentColumn` holds the parent's id, `targetColumn` the target's.
 * The pivot rows are read with the visibility the field asks for (as the DataLoader path does).
 */
export interface Through {
  kind: "through";
  target: NodeType;
  pivot: NodeType;
  parentColumn: string;
  targetColumn: string;
}

export type ReadRelation = ToOne | ToMany | Through;

/** How a scalar field is written into the answer. */
export type ScalarKind = "globalId" | "dateTime" | "plain";

export interface ReadType {
  name: NodeType;
  entity: Entity;
  relations: Record<string, ReadRelation>;
  /** The column behind a scalar GraphQL field, or undefined when the field is not a declared scalar. */
  scalar(field: string): { column: PgColumn; kind: ScalarKind } | undefined;
}

/**
 * A root read field: a connection of `type` (narrowed by `filters`: argument → column key and the entity whose
 * global id the argument holds), one row of `type` by id, or `node` (any entity, `type` null).
 */
export interface ReadRoot {
  kind: "list" | "single" | "node";
  type: NodeType | null;
  filters: { arg: string; column: string; target: NodeType }[];
}

export interface ReadModel {
  type(name: string): ReadType | undefined;
  root(field: string): ReadRoot | undefined;
}

function readRelation(field: RelationFieldInfo): ReadRelation {
  switch (field.kind) {
    case "toOne":
      return { kind: "one", target: field.target, column: field.columnKey };
    case "toMany":
      return { kind: "many", target: field.target, column: field.columnKey };
    case "manyToMany":
      return {
        kind: "through",
        target: field.target,
        pivot: field.pivot,
        parentColumn: field.parentColumnKey,
        targetColumn: field.targetColumnKey,
      };
  }
}

/** The read model of `model`'s entities, served from `registry` (made from the same model). */
export function readModel(model: DomainModel, registry: Registry): ReadModel {
  const types = new Map<string, ReadType>();
  for (const info of model.types.values()) {
    const relations = Object.fromEntries(info.relations.map((r) => [r.name, readRelation(r)]));
    const scalars = new Map(
      info.fields.map((f) => {
        const kind: ScalarKind = f.globalId ? "globalId" : f.type === "DateTime" ? "dateTime" : "plain";
        return [f.name, { column: f.column, kind }] as const;
      }),
    );
    types.set(info.name, {
      name: info.name,
      entity: registry.entity(info.name),
      relations,
      scalar: (field) => scalars.get(field),
    });
  }
  const roots = new Map<string, ReadRoot>();
  for (const f of model.rootFields) {
    const filters = f.filters.map((x) => ({ arg: x.arg, column: x.arg, target: x.target }));
    roots.set(f.name, { kind: f.kind, type: f.type, filters });
  }
  return { type: (name) => types.get(name), root: (field) => roots.get(field) };
}
