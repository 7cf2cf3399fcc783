import { index, pgTable, uuid } from "drizzle-orm/pg-core";
import { deletedAtIndex, idColumn, liveIndex, liveUniqueIndex, softDeleteColumns, trackingColumns } from "./columns.js";
import { organizations } from "./organizations.js";
import { tasks } from "./tasks.js";
import { users } from "./users.js";

/** The many-to-many pivot task ↔ user, soft-deletable itself so an assignment can be removed and restored. */
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
