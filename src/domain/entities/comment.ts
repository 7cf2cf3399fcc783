/** A comment on a task, possibly replying to another comment. */
import { Length } from "class-validator";
import { type AnyPgColumn, index, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { deletedAtIndex, idColumn, liveIndex, softDeleteColumns, trackingColumns } from "../../db/schema/columns.js";
import { organizations } from "../../db/schema/organizations.js";
import { defineEntity } from "../define.js";
import { tasks } from "./task.js";
import { users } from "./user.js";

export const ERASED_COMMENT_BODY = "[erased]";

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

export const comment = defineEntity({
  name: "Comment",
  table: comments,
  fields: ["body"],
  freeText: ["body"],
  references: {
    // Comments are parts of a task.
    taskId: { target: "Task", relation: "comments", onDelete: "CASCADE", toOne: "task", toMany: "comments" },
    // A comment outlives its author; `Comment.author` resolves to null while the author is deleted.
    authorId: {
      target: "User",
      relation: "comments",
      onDelete: "NONE",
      toOne: { field: "author", description: "Null when the author is deleted, unless includeDeleted." },
      toMany: { field: "comments", description: "Comments this user wrote." },
    },
    // A reply means nothing without the comment it answers.
    parentId: {
      target: "Comment",
      relation: "replies",
      onDelete: "CASCADE",
      toOne: { field: "parent", description: "The comment this one replies to." },
      toMany: "replies",
    },
  },
  inputs: {
    taskId: { create: "required", description: "A Task id." },
    body: { create: "required", update: "required", rules: [Length(1, 10_000)] },
    parentId: { create: "optional", description: "The Comment this one replies to." },
    authorId: {
      create: "optional",
      description: "A User id; defaults to the user whose email is the token subject.",
      defaultsToCaller: true,
    },
  },
  queries: { single: "comment" },
  bulkFilters: {
    taskId: { column: "taskId", description: "Comments or assignments of this task." },
    authorId: { column: "authorId", description: "Comments by this author." },
  },
  // A comment stays in its thread (replies keep their parent), without its words.
  personalData: { authored: { by: "authorId", replace: { body: ERASED_COMMENT_BODY } } },
});
