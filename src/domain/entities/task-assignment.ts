/** The many-to-many pivot task ↔ user, soft-deletable itself so an assignment can be removed and restored. */
import { index, pgTable, uuid } from "drizzle-orm/pg-core";
import {
  deletedAtIndex,
  idColumn,
  liveIndex,
  liveUniqueIndex,
  softDeleteColumns,
  trackingColumns,
} from "../../db/schema/columns.js";
import { organizations } from "../../db/schema/organizations.js";
import { defineEntity } from "../define.js";
import { tasks } from "./task.js";
import { users } from "./user.js";

export const taskAssignments = pgTable(
  "task_assignments",
  {
    id: idColumn(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    taskId: uuid("task_id")
      .notNull()
      .references(() => tasks.id),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    ...trackingColumns(),
    ...softDeleteColumns(),
  },
  (t) => [
    liveUniqueIndex("task_assignments_task_user_live_key", t.taskId, t.userId),
    liveIndex("task_assignments_user_live_idx", t.userId, t.createdAt, t.id),
    index("task_assignments_task_idx").on(t.taskId),
    index("task_assignments_user_idx").on(t.userId),
    deletedAtIndex("task_assignments_deleted_at_idx", t.deletedAt),
  ],
);

export const taskAssignment = defineEntity({
  name: "TaskAssignment",
  table: taskAssignments,
  description: "A user assigned to a task (the many-to-many pivot).",
  references: {
    // Assignments are parts of a task.
    taskId: { target: "Task", relation: "assignments", onDelete: "CASCADE", toOne: "task", toMany: "assignments" },
    // A deleted user holds no assignments.
    userId: { target: "User", relation: "assignments", onDelete: "CASCADE", toOne: "user", toMany: "assignments" },
  },
  pivot: {
    links: [
      {
        from: "userId",
        to: "taskId",
        field: { field: "assignedTasks", description: "Tasks this user is assigned to (through live assignments)." },
      },
      {
        from: "taskId",
        to: "userId",
        field: { field: "assignees", description: "Users assigned (many-to-many through TaskAssignment)." },
      },
    ],
    mutations: {
      add: { field: "assignTask", description: "Assigns a user to a task; CONFLICT when already assigned." },
      remove: { field: "unassignTask", description: "Soft-deletes the live assignment; restore(id) brings it back." },
      columns: ["taskId", "userId"],
    },
  },
  bulkFilters: {
    taskId: { column: "taskId" },
    userId: { column: "userId", description: "Assignments of this user; projects led by this user." },
  },
  // An assignment only says that this person works on a task.
  personalData: { removed: { by: "userId" } },
});
