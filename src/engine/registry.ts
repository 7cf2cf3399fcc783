/**
 * The declarations the engine works from: which tables are soft-deletable, and how relations between them
 * behave when a parent is deleted. Adding an entity is adding a declaration here, not a code path.
 */
import { getTableConfig, type PgColumn, type PgTable } from "drizzle-orm/pg-core";
import { getTableName } from "drizzle-orm";
import { DeclarationError } from "./errors.js";

/**
 * What soft-deleting a parent does to its live children over one relation.
 * - CASCADE: soft-delete them with the parent, under the same operation id.
 * - RESTRICT: refuse while live children exist.
 * - DETACH: set the child's reference to null (re-attached when the operation is restored).
 * - NONE: leave them; reads resolve the reference to null while the parent is deleted.
 */
export type DeletionPolicy = "CASCADE" | "RESTRICT" | "DETACH" | "NONE";

type Col = PgColumn;
/** A table built with `trackingColumns()` and `softDeleteColumns()` plus an `organizationId`. */
export type SoftDeletableTable = PgTable & {
  id: Col;
  organizationId: Col;
  deletedAt: Col;
  deletedBy: Col;
  deletionReason: Col;
  deletionOperationId: Col;
  isDeleted: Col;
  createdAt: Col;
  updatedAt: Col;
  createdBy: Col;
  updatedBy: Col;
};

export interface EntityDeclaration {
  /** The type name used in ids, audit entries and errors, e.g. "Task". */
  name: string;
  table: SoftDeletableTable;
}

export interface RelationDeclaration {
  /** "Parent.field", e.g. "Project.tasks": named in RESTRICTED errors and the detachment log. */
  name: string;
  parent: string;
  child: string;
  /** The child's column referencing the parent's id. */
  column: Col;
  policy: DeletionPolicy;
}

/** The entity a token subject may name, and the fields a subject is compared with (e.g. email, id). */
export interface SubjectDeclaration {
  entity: string;
  fields: string[];
}

export interface Entity extends EntityDeclaration {
  tableName: string;
  /** Unique indexes by name → the fields they cover (for CONFLICT messages). */
  uniqueKeys: Map<string, string[]>;
}

export class Registry {
  readonly entities = new Map<string, Entity>();
  private readonly relationsByName = new Map<string, RelationDeclaration>();

  constructor(
    entities: EntityDeclaration[],
    relations: RelationDeclaration[],
    /** Whom an actor (a token subject) is linked to; none: actors stay unlinked. */
    readonly subjects?: SubjectDeclaration,
  ) {
    for (const e of entities) {
      const config = getTableConfig(e.table);
      const byDbName = new Map(
        Object.entries(e.table as unknown as Record<string, Col>)
          .filter(([, c]) => c && typeof c === "object" && "name" in c && "columnType" in c)
          .map(([key, c]) => [c.name, key]),
      );
      const uniqueKeys = new Map<string, string[]>();
      for (const idx of config.indexes) {
        if (!idx.config.unique || !idx.config.name) continue;
        const fields = idx.config.columns
          .map((c) => ("name" in c ? byDbName.get((c as Col).name) : undefined))
          .filter((f): f is string => !!f && f !== "organizationId");
        uniqueKeys.set(idx.config.name, fields);
      }
      this.entities.set(e.name, { ...e, tableName: getTableName(e.table), uniqueKeys });
    }
    for (const r of relations) {
      if (!this.entities.has(r.parent) || !this.entities.has(r.child))
        throw new DeclarationError(`relation ${r.name} names an undeclared entity (${r.parent} or ${r.child})`);
      this.relationsByName.set(r.name, r);
    }
    if (subjects) {
      const entity = this.entity(subjects.entity);
      for (const f of subjects.fields)
        if (!(f in entity.table)) throw new DeclarationError(`${entity.name}: subject field ${f} is not a column`);
    }
  }

  /** Entity names, in declaration order. */
  get names(): string[] {
    return [...this.entities.keys()];
  }

  get relations(): RelationDeclaration[] {
    return [...this.relationsByName.values()];
  }

  entity(name: string): Entity {
    const e = this.entities.get(name);
    if (!e) throw new DeclarationError(`unknown entity ${name}; declared: ${this.names.join(", ")}`);
    return e;
  }

  relation(name: string): RelationDeclaration | undefined {
    return this.relationsByName.get(name);
  }

  childrenOf(parent: string): RelationDeclaration[] {
    return this.relations.filter((r) => r.parent === parent);
  }

  parentsOf(child: string): RelationDeclaration[] {
    return this.relations.filter((r) => r.child === child);
  }

  /** A copy with some policies replaced (tests, and `CASCADE_SOFT_DELETE=false`). */
  withPolicies(change: (r: RelationDeclaration) => DeletionPolicy): Registry {
    const declared = [...this.entities.values()].map(({ name, table }) => ({ name, table }));
    return new Registry(
      declared,
      this.relations.map((r) => ({ ...r, policy: change(r) })),
      this.subjects,
    );
  }

  /**
   * Entities ordered children before parents (self-references ignored): the hard-delete order. Among the
   * entities whose children are all placed, the one declared last goes first, so the order follows the
   * declarations and not the order relations happen to be listed in.
   */
  deletionOrder(): Entity[] {
    const names = this.names;
    const order: Entity[] = [];
    const placed = new Set<string>();
    const ready = (name: string) =>
      !placed.has(name) && this.childrenOf(name).every((r) => r.child === name || placed.has(r.child));
    while (order.length < names.length) {
      const next = [...names].reverse().find(ready) ?? names.find((n) => !placed.has(n))!; // a cycle: break it
      placed.add(next);
      order.push(this.entity(next));
    }
    return order;
  }
}
