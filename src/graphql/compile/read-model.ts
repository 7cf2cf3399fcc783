/**
 * What the read compiler knows about the schema: for each entity type, its relation fields (to-one, to-many,
 * many-to-many) and where its scalar fields live. The one place that describes relations for the compiler; the
 * resolvers in ../resolvers describe the same relations for the DataLoader path, and the equivalence test
 * (test/api/read-compiler.test.ts) keeps the two in step. A field this model does not know is not compiled: the
 * whole operation then runs through the resolvers, so an unknown field can never be answered wrongly.
 */
import type { PgColumn } from "drizzle-orm/pg-core";
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

/** Relation fields per GraphQL object type, by field name. */
export const READ_RELATIONS: Record<NodeType, Record<string, ReadRelation>> = {
  User: {
    assignedTasks: {
      kind: "through",
      target: "Task",
      pivot: "TaskAssignment",
      parentColumn: "userId",
      targetColumn: "taskId",
    },
    assignments: { kind: "many", target: "TaskAssignment", column: "userId" },
    comments: { kind: "many", target: "Comment", column: "authorId" },
  },
  Project: {
    tasks: { kind: "many", target: "Task", column: "projectId" },
    lead: { kind: "one", target: "User", column: "leadId" },
  },
  Task: {
    project: { kind: "one", target: "Project", column: "projectId" },
    comments: { kind: "many", target: "Comment", column: "taskId" },
    assignees: {
      kind: "through",
      target: "User",
      pivot: "TaskAssignment",
      parentColumn: "taskId",
      targetColumn: "userId",
    },
    assignments: { kind: "many", target: "TaskAssignment", column: "taskId" },
  },
  Comment: {
    task: { kind: "one", target: "Task", column: "taskId" },
    author: { kind: "one", target: "User", column: "authorId" },
    parent: { kind: "one", target: "Comment", column: "parentId" },
    replies: { kind: "many", target: "Comment", column: "parentId" },
  },
  TaskAssignment: {
    task: { kind: "one", target: "Task", column: "taskId" },
    user: { kind: "one", target: "User", column: "userId" },
  },
};

/** How a scalar field is written into the answer. */
export type ScalarKind = "globalId" | "dateTime" | "plain";

export interface ReadType {
  name: NodeType;
  entity: Entity;
  relations: Record<string, ReadRelation>;
  /** The column behind a scalar GraphQL field, or undefined when the field is not a column. */
  scalar(field: string): { column: PgColumn; kind: ScalarKind } | undefined;
}

export interface ReadModel {
  type(name: string): ReadType | undefined;
}

/** The read model of the entities `registry` declares. */
export function readModel(registry: Registry): ReadModel {
  const types = new Map<string, ReadType>();
  for (const [name, relations] of Object.entries(READ_RELATIONS) as [NodeType, Record<string, ReadRelation>][]) {
    const entity = registry.entity(name);
    const columns = entity.table as unknown as Record<string, PgColumn | undefined>;
    types.set(name, {
      name,
      entity,
      relations,
      scalar(field) {
        if (Object.hasOwn(relations, field) || !Object.hasOwn(columns, field)) return undefined;
        const column = columns[field];
        if (!column || typeof column !== "object" || !("columnType" in column)) return undefined;
        const kind: ScalarKind =
          field === "id" ? "globalId" : column.columnType === "PgTimestamp" ? "dateTime" : "plain";
        return { column, kind };
      },
    });
  }
  return { type: (name) => types.get(name) };
}
