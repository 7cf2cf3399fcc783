/**
 * The domain model built from the entity declarations (src/domain/entities/*, listed in model.ts): the one
 * place every derived rule comes from.
 *
 * It is also a typed, documented public API for code that serves the GraphQL surface without type-graphql
 * (e.g. a compiler from selections to SQL): per entity its GraphQL type name, table, scalar fields (GraphQL
 * name → column, GraphQL type, nullability) and relation fields (kind, target, columns, arguments), and the
 * root query fields. The GraphQL schema is generated from exactly this data (src/graphql/model/), so what
 * it says is what the schema serves.
 *
 * Invariant kept here: a declaration that names an unknown entity, column or relation is refused when the
 * model is built (at start-up), never discovered at request time.
 */
import { getTableName } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { PersonalDataDeclaration } from "../engine/erasure.js";
import { DeclarationError } from "../engine/errors.js";
import {
  Registry,
  type EntityDeclaration,
  type RelationDeclaration,
  type SoftDeletableTable,
} from "../engine/registry.js";
import { fieldName, type AnyEntityDefinition as EntityDefinition, type Presence } from "./define.js";

/** GraphQL scalar types a column maps to. */
export type ScalarType = "ID" | "String" | "Int" | "Float" | "Boolean" | "DateTime";

/** A scalar field of an entity's object type. */
export interface ScalarFieldInfo {
  /** The GraphQL field name (the column's key in the Drizzle table). */
  name: string;
  column: PgColumn;
  /** The SQL column name. */
  columnName: string;
  type: ScalarType;
  nullable: boolean;
  /** True for `id` only: its value is the global id (base64url of `Type:uuid`), not the column's uuid. */
  globalId?: boolean;
}

/** Arguments a relation or root field takes (see src/graphql/args.ts for their defaults). */
export type ReadArgName = "id" | "includeDeleted" | "first" | "after" | "onlyDeleted";

/** To-one: this row's `column` holds the target's id. Null when none, or deleted unless includeDeleted. */
export interface ToOneFieldInfo {
  kind: "toOne";
  name: string;
  description?: string;
  target: string;
  /** This entity's column, and its key in the Drizzle table (and in engine rows). */
  column: PgColumn;
  columnKey: string;
  /** The engine relation's name, e.g. "Project.tasks". */
  relation: string;
  args: readonly ReadArgName[];
}

/** To-many: a connection of the target's rows whose `column` holds this row's id. */
export interface ToManyFieldInfo {
  kind: "toMany";
  name: string;
  description?: string;
  target: string;
  /** The target's column, and its key in the target's Drizzle table (and in engine rows). */
  column: PgColumn;
  columnKey: string;
  relation: string;
  args: readonly ReadArgName[];
}

/**
 * Many-to-many: a connection of the target's rows reached through pivot rows whose `parentColumn` holds this
 * row's id and `targetColumn` the target's. Pivot rows and targets are both filtered by the same visibility.
 */
export interface ManyToManyFieldInfo {
  kind: "manyToMany";
  name: string;
  description?: string;
  target: string;
  pivot: string;
  parentColumn: PgColumn;
  targetColumn: PgColumn;
  /** The two columns' keys in the pivot's Drizzle table. */
  parentColumnKey: string;
  targetColumnKey: string;
  args: readonly ReadArgName[];
}

export type RelationFieldInfo = ToOneFieldInfo | ToManyFieldInfo | ManyToManyFieldInfo;

/** One field of a create or update input. */
export interface InputFieldInfo {
  name: string;
  column: PgColumn;
  /** `ID` for a reference (a global id of `reference`). */
  type: ScalarType;
  create?: Presence;
  update?: Presence;
  description?: string;
  rules: PropertyDecorator[];
  /** The entity a reference names. */
  reference?: string;
  defaultsToCaller: boolean;
}

export interface EntityTypeInfo {
  /** The GraphQL type name, also the entity's name in ids, audit entries and errors. */
  name: string;
  description?: string;
  table: SoftDeletableTable;
  tableName: string;
  /** Every scalar field, the common ones (id, timestamps, soft-delete fields) first. */
  fields: ScalarFieldInfo[];
  relations: RelationFieldInfo[];
  inputs: InputFieldInfo[];
  /** Reference columns (by key) → the entity each names. */
  references: Map<string, string>;
}

/** A root query field: a list (connection), a single row by id, or `node`. */
export interface RootFieldInfo {
  name: string;
  kind: "list" | "single" | "node";
  /** The entity served; null for `node` (any entity). */
  type: string | null;
  args: readonly ReadArgName[];
  /** List only: optional arguments narrowing by a reference column (a global id of `target`). */
  filters: { arg: string; column: PgColumn; target: string }[];
}

/** A field of `BulkFilterInput`: the rows of each listed entity whose column references the given id. */
export interface BulkFilterInfo {
  name: string;
  description?: string;
  target: string;
  /** Entity name → its column key. */
  columns: Map<string, string>;
}

/** `assignTask`/`unassignTask`-style mutations of a pivot entity. */
export interface PivotMutationInfo {
  entity: string;
  add: { field: string; description?: string };
  remove: { field: string; description?: string };
  /** The two reference columns (keys) in argument order. */
  columns: [string, string];
}

export const TO_ONE_ARGS = ["includeDeleted"] as const;
export const TO_MANY_ARGS = ["first", "after", "includeDeleted"] as const;
export const LIST_ARGS = ["first", "after", "includeDeleted", "onlyDeleted"] as const;
export const SINGLE_ARGS = ["id", "includeDeleted"] as const;

/** Fields every entity type has (inherited from `SoftDeletable` and `EntityFields` in GraphQL). */
export const COMMON_FIELDS = [
  "id",
  "createdAt",
  "updatedAt",
  "createdBy",
  "updatedBy",
  "deletedAt",
  "deletedBy",
  "deletionReason",
  "isDeleted",
] as const;

const SCALARS: Record<string, ScalarType> = {
  PgText: "String",
  PgVarchar: "String",
  PgUUID: "ID",
  PgInteger: "Int",
  PgSmallInt: "Int",
  PgBigInt53: "Int",
  PgDoublePrecision: "Float",
  PgReal: "Float",
  PgBoolean: "Boolean",
  PgTimestamp: "DateTime",
};

function columnOf(def: EntityDefinition, key: string, what: string): PgColumn {
  const column = (def.table as unknown as Record<string, PgColumn | undefined>)[key];
  if (!column || typeof column !== "object" || !("columnType" in column))
    throw new DeclarationError(`${def.name}: ${what} names ${JSON.stringify(key)}, which is not a column of its table`);
  return column;
}

function scalarOf(def: EntityDefinition, key: string, column: PgColumn): ScalarType {
  const type = SCALARS[column.columnType];
  if (!type)
    throw new DeclarationError(
      `${def.name}.${key}: column type ${column.columnType} has no GraphQL scalar; one of ${Object.keys(SCALARS).join(", ")} is needed`,
    );
  return type;
}

export class DomainModel {
  readonly definitions: readonly EntityDefinition[];
  /** Entities by name, in declaration order. */
  readonly types = new Map<string, EntityTypeInfo>();
  readonly rootFields: RootFieldInfo[] = [];
  readonly bulkFilters = new Map<string, BulkFilterInfo>();
  readonly pivotMutations: PivotMutationInfo[] = [];
  /** The engine's declarations. */
  readonly entityDeclarations: EntityDeclaration[];
  readonly relationDeclarations: RelationDeclaration[] = [];
  /** What erasure treats as personal data; undefined when no entity is the person. */
  readonly personalData: PersonalDataDeclaration | undefined;

  constructor(definitions: readonly EntityDefinition[]) {
    this.definitions = definitions;
    for (const def of definitions) {
      if (this.types.has(def.name)) throw new DeclarationError(`entity ${def.name} is declared twice`);
      if (!/^[A-Z][A-Za-z0-9]*$/.test(def.name))
        throw new DeclarationError(`entity name must be a GraphQL type name in PascalCase, got ${def.name}`);
      this.types.set(def.name, {
        name: def.name,
        ...(def.description ? { description: def.description } : {}),
        table: def.table,
        tableName: getTableName(def.table),
        fields: [],
        relations: [],
        inputs: [],
        references: new Map(),
      });
    }
    this.entityDeclarations = definitions.map((d) => ({ name: d.name, table: d.table }));
    for (const def of definitions) this.declareReferences(def);
    for (const def of definitions) {
      this.declareFields(def);
      this.declarePivot(def);
      this.declareInputs(def);
      this.declareQueries(def);
      this.declareBulkFilters(def);
    }
    this.rootFields.push({ name: "node", kind: "node", type: null, args: SINGLE_ARGS, filters: [] });
    this.personalData = this.buildPersonalData();
  }

  /** Entity names, in declaration order. */
  get names(): string[] {
    return [...this.types.keys()];
  }

  type(name: string): EntityTypeInfo {
    const found = this.types.get(name);
    if (!found) throw new DeclarationError(`unknown entity ${name}; declared: ${this.names.join(", ")}`);
    return found;
  }

  /** A fresh engine registry of these entities and relations. */
  createRegistry(): Registry {
    const person = this.personalData;
    return new Registry(
      this.entityDeclarations,
      this.relationDeclarations,
      person ? { entity: person.person, fields: person.subjects } : undefined,
    );
  }

  private declareReferences(def: EntityDefinition) {
    const info = this.type(def.name);
    for (const [key, ref] of Object.entries(def.references ?? {})) {
      if (!ref) continue;
      const column = columnOf(def, key, "a reference");
      const target = this.types.get(ref.target);
      if (!target) throw new DeclarationError(`${def.name}.${key} references undeclared entity ${ref.target}`);
      const relation = `${ref.target}.${ref.relation}`;
      if (this.relationDeclarations.some((r) => r.name === relation))
        throw new DeclarationError(`relation ${relation} is declared twice`);
      info.references.set(key, ref.target);
      this.relationDeclarations.push({
        name: relation,
        parent: ref.target,
        child: def.name,
        column,
        policy: ref.onDelete,
      });
      if (ref.toOne) {
        const { field, description } = fieldName(ref.toOne);
        info.relations.push({
          kind: "toOne",
          name: field,
          ...(description ? { description } : {}),
          target: ref.target,
          column,
          columnKey: key,
          relation,
          args: TO_ONE_ARGS,
        });
      }
      if (ref.toMany) {
        const { field, description } = fieldName(ref.toMany);
        target.relations.push({
          kind: "toMany",
          name: field,
          ...(description ? { description } : {}),
          target: def.name,
          column,
          columnKey: key,
          relation,
          args: TO_MANY_ARGS,
        });
      }
    }
  }

  private declareFields(def: EntityDefinition) {
    const info = this.type(def.name);
    for (const key of [...COMMON_FIELDS, ...(def.fields ?? [])]) {
      const column = columnOf(def, key, "a field");
      info.fields.push({
        name: key,
        column,
        columnName: column.name,
        type: key === "id" ? "ID" : scalarOf(def, key, column),
        nullable: !column.notNull,
        ...(key === "id" ? { globalId: true } : {}),
      });
    }
    const names = new Set<string>();
    for (const f of [...info.fields, ...info.relations]) {
      if (names.has(f.name)) throw new DeclarationError(`${def.name}.${f.name} is declared twice`);
      names.add(f.name);
    }
  }

  private reference(def: EntityDefinition, key: string, what: string): string {
    const target = this.type(def.name).references.get(key);
    if (!target) throw new DeclarationError(`${def.name}: ${what} names ${key}, which is not a declared reference`);
    return target;
  }

  private declarePivot(def: EntityDefinition) {
    if (!def.pivot) return;
    for (const link of def.pivot.links) {
      const from = this.reference(def, link.from, "a pivot link");
      const to = this.reference(def, link.to, "a pivot link");
      const { field, description } = fieldName(link.field);
      this.type(from).relations.push({
        kind: "manyToMany",
        name: field,
        ...(description ? { description } : {}),
        target: to,
        pivot: def.name,
        parentColumn: columnOf(def, link.from, "a pivot link"),
        targetColumn: columnOf(def, link.to, "a pivot link"),
        parentColumnKey: link.from,
        targetColumnKey: link.to,
        args: TO_MANY_ARGS,
      });
    }
    const m = def.pivot.mutations;
    if (m) {
      for (const key of m.columns) this.reference(def, key, "a pivot mutation");
      this.pivotMutations.push({
        entity: def.name,
        add: fieldName(m.add),
        remove: fieldName(m.remove),
        columns: m.columns,
      });
    }
  }

  private declareInputs(def: EntityDefinition) {
    const info = this.type(def.name);
    for (const [key, input] of Object.entries(def.inputs ?? {})) {
      if (!input) continue;
      const column = columnOf(def, key, "an input");
      const reference = info.references.get(key);
      if (input.defaultsToCaller && (!reference || reference !== this.personEntity()?.name))
        throw new DeclarationError(`${def.name}.${key}: defaultsToCaller needs a reference to the person entity`);
      info.inputs.push({
        name: key,
        column,
        type: reference ? "ID" : scalarOf(def, key, column),
        ...(input.create ? { create: input.create } : {}),
        ...(input.update ? { update: input.update } : {}),
        ...(input.description ? { description: input.description } : {}),
        rules: input.rules ?? [],
        ...(reference ? { reference } : {}),
        defaultsToCaller: input.defaultsToCaller ?? false,
      });
    }
  }

  private declareQueries(def: EntityDefinition) {
    const q = def.queries;
    if (!q) return;
    if (q.list) {
      const list = typeof q.list === "string" ? { field: q.list } : q.list;
      const filters = (list.filters ?? []).map((arg) => ({
        arg,
        column: columnOf(def, arg, "a list filter"),
        target: this.reference(def, arg, "a list filter"),
      }));
      this.rootFields.push({ name: list.field, kind: "list", type: def.name, args: LIST_ARGS, filters });
    }
    if (q.single)
      this.rootFields.push({ name: q.single, kind: "single", type: def.name, args: SINGLE_ARGS, filters: [] });
  }

  private declareBulkFilters(def: EntityDefinition) {
    for (const [name, filter] of Object.entries(def.bulkFilters ?? {})) {
      const target = this.reference(def, filter.column, `bulk filter ${name}`);
      let info = this.bulkFilters.get(name);
      if (!info) {
        info = { name, target, columns: new Map() };
        this.bulkFilters.set(name, info);
      }
      if (info.target !== target)
        throw new DeclarationError(
          `bulk filter ${name} names ${info.target} ids elsewhere, ${target} ids on ${def.name}`,
        );
      if (filter.description && !info.description) info.description = filter.description;
      info.columns.set(def.name, filter.column);
    }
  }

  private personEntity(): EntityDefinition | undefined {
    const persons = this.definitions.filter((d) => d.personalData && "person" in d.personalData);
    if (persons.length > 1) throw new DeclarationError(`only one entity may be the person, got ${persons.length}`);
    return persons[0];
  }

  private buildPersonalData(): PersonalDataDeclaration | undefined {
    const person = this.personEntity();
    if (!person || !person.personalData || !("person" in person.personalData)) return undefined;
    const relationVia = (def: EntityDefinition, by: string) => {
      const target = this.reference(def, by, "personal data");
      if (target !== person.name)
        throw new DeclarationError(`${def.name}: personal data over ${by} must reference ${person.name}`);
      const ref = def.references?.[by as keyof typeof def.references];
      return `${target}.${ref!.relation}`;
    };
    const declaration: PersonalDataDeclaration = {
      person: person.name,
      identifying: person.personalData.person.identifying,
      subjects: person.personalData.person.subjects,
      authored: [],
      removed: [],
      freeText: [],
    };
    for (const def of this.definitions) {
      for (const field of def.freeText ?? []) {
        if (!def.fields?.includes(field))
          throw new DeclarationError(`${def.name}: free text ${field} is not one of its fields`);
        declaration.freeText.push(`${def.name}.${field}`);
      }
      const role = def.personalData;
      if (!role) continue;
      if ("authored" in role)
        declaration.authored.push({ relation: relationVia(def, role.authored.by), replace: role.authored.replace });
      if ("removed" in role) declaration.removed.push(relationVia(def, role.removed.by));
    }
    return declaration;
  }
}
