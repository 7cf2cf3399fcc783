/** A task of a project. */
import { IsIn, Length, MaxLength } from "class-validator";
import { index, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { deletedAtIndex, idColumn, liveIndex, softDeleteColumns, trackingColumns } from "../../db/schema/columns.js";
import { organizations } from "../../db/schema/organizations.js";
import { defineEntity } from "../define.js";
import { projects } from "./project.js";

export const TASK_STATUSES = ["TODO", "IN_PROGRESS", "DONE"] as const;

export const tasks = pgTable(
  "tasks",
  {
    id: idColumn(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id),
    title: text("title").notNull(),
    description: text("description"),
    status: text("status").notNull().default("TODO"),
    ...trackingColumns(),
    ...softDeleteColumns(),
  },
  (t) => [
    liveIndex("tasks_project_live_idx", t.projectId, t.createdAt, t.id),
    liveIndex("tasks_org_live_idx", t.organizationId, t.createdAt, t.id),
    // Cascades and exact restores walk parent → children among deleted rows too.
    index("tasks_project_idx").on(t.projectId),
    deletedAtIndex("tasks_deleted_at_idx", t.deletedAt),
  ],
);

const status = {
  description: "TODO, IN_PROGRESS or DONE.",
  rules: [IsIn(TASK_STATUSES, { message: `status must be one of ${TASK_STATUSES.join(", ")}` })],
};

export const task = defineEntity({
  name: "Task",
  table: tasks,
  fields: ["title", "description", "status"],
  // A status is an enumeration, never free text, whatever a person is called.
  freeText: ["title", "description"],
  references: {
    // A task belongs to its project: deleting the project deletes its tasks.
    projectId: {
      target: "Project",
      relation: "tasks",
      onDelete: "CASCADE",
      toOne: { field: "project", description: "Null when the project is deleted, unless includeDeleted." },
      toMany: "tasks",
    },
  },
  inputs: {
    projectId: { create: "required", description: "A Project id." },
    title: { create: "required", update: "optional", rules: [Length(1, 300)] },
    description: { create: "optional", update: "optional", rules: [MaxLength(10_000)] },
    status: { create: "optional", update: "optional", ...status },
  },
  queries: { list: { field: "tasks", filters: ["projectId"] }, single: "task" },
  bulkFilters: { projectId: { column: "projectId", description: "Tasks of this project." } },
});
