/**
 * How an entity is declared: one `defineEntity({...})` per module of src/domain/entities/, listed once in
 * src/domain/model.ts. Everything else — the engine's registry (cascade, restore, bulk, retention, health),
 * erasure, and the whole GraphQL surface of the entity (object type, connection, relation fields, inputs,
 * mutations, root queries, bulk filters, ids) — is derived from these declarations (see domain-model.ts).
 */
import type { DeletionPolicy, SoftDeletableTable } from "../engine/registry.js";

/** A GraphQL field's name, optionally with its description. */
export type FieldName = string | { field: string; description?: string };

/**
 * A column of this entity that references another entity's id: one relation, declared once.
 * @example
 * projectId: { target: "Project", relation: "tasks", onDelete: "CASCADE", toOne: "project", toMany: "tasks" }
 */
export interface ReferenceDeclaration {
  /** The referenced entity's name. */
  target: string;
  /**
   * The relation's name seen from the target: the engine knows it as `${target}.${relation}` (RESTRICTED
   * errors, the detachment log, personal data). Renaming it orphans recorded detachments.
   */
  relation: string;
  /** What soft-deleting the target does to this entity's live rows that reference it. */
  onDelete: DeletionPolicy;
  /** A GraphQL field on this entity resolving the target row (null while deleted, unless includeDeleted). */
  toOne?: FieldName;
  /** A GraphQL connection field on the target listing the rows of this entity that reference it. */
  toMany?: FieldName;
}

/** How a column is given in the create/update inputs. */
export type Presence = "required" | "optional";

export interface InputDeclaration {
  /** In `Create<Entity>Input`; absent: not settable on create. */
  create?: Presence;
  /** In `Update<Entity>Input`; absent: not changeable. */
  update?: Presence;
  description?: string;
  /** class-validator property decorators, e.g. `[Length(1, 200)]`; optional fields also get `IsOptional()`. */
  rules?: PropertyDecorator[];
  /**
   * A reference to the person entity that, when not given on create, defaults to the caller's own person
   * row (the one whose subject field matches the token subject), or null.
   */
  defaultsToCaller?: boolean;
}

/** A bulk filter field narrowing this entity's rows by a reference column (the value is the target's id). */
export interface BulkFilterDeclaration {
  column: string;
  /** Shared by every entity declaring this filter field: write it once, on one of them. */
  description?: string;
}

/** A many-to-many relation carried by this (pivot) entity: from one referenced entity to another. */
export interface PivotLinkDeclaration {
  /** The reference column naming the row the field hangs on. */
  from: string;
  /** The reference column naming the rows the field lists. */
  to: string;
  /** The connection field on `from`'s target entity. */
  field: FieldName;
}

/** Mutations of a pivot entity taking the two reference ids instead of an input object. */
export interface PivotMutationsDeclaration {
  /** Creates the pivot row (CONFLICT when a live one exists). */
  add: FieldName;
  /** Soft-deletes the live pivot row (NOT_FOUND when none). */
  remove: FieldName;
  /** The two reference columns, in argument order. */
  columns: [string, string];
}

/** What erasure does with this entity's rows (see src/engine/erasure.ts). */
export type PersonalDataRole =
  /** This entity is the person: identifying fields → their erased values; fields that may be a token subject. */
  | { person: { identifying: Record<string, (id: string) => string>; subjects: string[] } }
  /** Rows written by the person (over `by`, a reference to the person): these fields are replaced. */
  | { authored: { by: string; replace: Record<string, string> } }
  /** Rows only about the person (over `by`): hard-deleted. */
  | { removed: { by: string } };

/** The root query fields serving an entity. */
export interface QueriesDeclaration {
  /** A connection of the organization's rows, e.g. `users`; `filters` are reference columns given as arguments. */
  list?: string | { field: string; filters?: string[] };
  /** One row by global id, e.g. `user(id:)`. */
  single?: string;
}

export interface EntityDefinition<T extends SoftDeletableTable = SoftDeletableTable, N extends string = string> {
  /** The GraphQL type name, also used in global ids, audit entries, errors and settings. */
  name: N;
  /** Its Drizzle table, built with `idColumn()`, `trackingColumns()`, `softDeleteColumns()` and `organizationId`. */
  table: T;
  description?: string;
  /** Columns exposed as GraphQL fields besides the common ones; the GraphQL type follows the column type. */
  fields?: (keyof T & string)[];
  references?: Partial<Record<keyof T & string, ReferenceDeclaration>>;
  inputs?: Partial<Record<keyof T & string, InputDeclaration>>;
  queries?: QueriesDeclaration;
  /** Bulk filter fields, by name. */
  bulkFilters?: Record<string, BulkFilterDeclaration>;
  pivot?: { links: PivotLinkDeclaration[]; mutations?: PivotMutationsDeclaration };
  personalData?: PersonalDataRole;
  /**
   * Fields people type. Erasure replaces the person's name and email there, in the rows the person created or
   * last updated; a field not listed (an enumeration such as a status, a slug) is never rewritten.
   * @example ["title", "description"]
   */
  freeText?: (keyof T & string)[];
}

/** Any entity's definition, whatever its table (what the model is built from). */
export type AnyEntityDefinition = EntityDefinition<any, string>;

/** Declares an entity; the identity function that gives the declaration its type. */
export function defineEntity<T extends SoftDeletableTable, N extends string>(
  definition: EntityDefinition<T, N>,
): EntityDefinition<T, N> {
  return definition;
}

/** A FieldName's parts. */
export function fieldName(name: FieldName): { field: string; description?: string } {
  return typeof name === "string" ? { field: name } : name;
}
