import { index, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { deletedAtIndex, idColumn, liveIndex, softDeleteColumns, trackingColumns } from "./columns.js";
import { organizations } from "./organizations.js";
import { projects } from "./projects.js";

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
