import { type AnyPgColumn, index, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { deletedAtIndex, idColumn, liveIndex, softDeleteColumns, trackingColumns } from "./columns.js";
import { organizations } from "./organizations.js";
import { tasks } from "./tasks.js";
import { users } from "./users.js";

export const comments = pgTable(
  "comments",
  {
    id: idColumn(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    taskId: uuid("task_id")
      .notNull()
      .references(() => tasks.id),
    /** A comment outlives its author: the reference stays, and resolves to null while the author is deleted. */
    authorId: uuid("author_id").references(() => users.id, { onDelete: "set null" }),
    /** The comment this one replies to (a self-reference). */
    parentId: uuid("parent_id").references((): AnyPgColumn => comments.id),
    body: text("body").notNull(),
    ...trackingColumns(),
    ...softDeleteColumns(),
  },
  (t) => [
    liveIndex("comments_task_live_idx", t.taskId, t.createdAt, t.id),
    liveIndex("comments_parent_live_idx", t.parentId, t.createdAt, t.id),
    index("comments_task_idx").on(t.taskId),
    index("comments_parent_idx").on(t.parentId),
    index("comments_author_idx").on(t.authorId),
    deletedAtIndex("comments_deleted_at_idx", t.deletedAt),
  ],
);
