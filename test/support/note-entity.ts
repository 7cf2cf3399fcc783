/**
 * The extra entity of the "adding an entity is one declaration" tests: a note on a task, declared once here and
 * served by a test model, in its own table that only CREATE_TABLE makes (no migration creates it).
 */
import { Length } from "class-validator";
import { index, pgTable, text, uuid } from "drizzle-orm/pg-core";
import {
  deletedAtIndex,
  idColumn,
  liveIndex,
  softDeleteColumns,
  trackingColumns,
} from "../../src/db/schema/columns.js";
import { organizations } from "../../src/db/schema/organizations.js";
import { defineEntity } from "../../src/domain/define.js";
import { DomainModel } from "../../src/domain/domain-model.js";
import { tasks } from "../../src/domain/entities/task.js";
import { MODEL } from "../../src/domain/model.js";

export const taskNotes = pgTable(
  "task_notes",
  {
    id: idColumn(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    taskId: uuid("task_id")
      .notNull()
      .references(() => tasks.id),
    body: text("body").notNull(),
    ...trackingColumns(),
    ...softDeleteColumns(),
  },
  (t) => [
    liveIndex("task_notes_task_live_idx", t.taskId, t.createdAt, t.id),
    index("task_notes_task_idx").on(t.taskId),
    deletedAtIndex("task_notes_deleted_at_idx", t.deletedAt),
  ],
);

/** The whole declaration of the extra entity. */
export const note = defineEntity({
  name: "Note",
  table: taskNotes,
  fields: ["body"],
  references: {
    taskId: { target: "Task", relation: "notes", onDelete: "CASCADE", toOne: "task", toMany: "notes" },
  },
  inputs: {
    taskId: { create: "required" },
    body: { create: "required", update: "optional", rules: [Length(1, 500)] },
  },
  queries: { list: "notes", single: "note" },
  bulkFilters: { taskId: { column: "taskId" } },
});

export const TEST_MODEL = new DomainModel([...MODEL.definitions, note]);

/** What the migration drizzle-kit would generate for `taskNotes` makes (the test database has no such table). */
export const CREATE_TABLE = `
  CREATE TABLE task_notes (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations(id),
    task_id uuid NOT NULL REFERENCES tasks(id),
    body text NOT NULL,
    created_at timestamp with time zone NOT NULL DEFAULT now(),
    updated_at timestamp with time zone NOT NULL DEFAULT now(),
    created_by text,
    updated_by text,
    deleted_at timestamp with time zone,
    deleted_by text,
    deletion_reason text,
    deletion_operation_id uuid,
    is_deleted boolean NOT NULL GENERATED ALWAYS AS (deleted_at IS NOT NULL) STORED
  );
  CREATE INDEX task_notes_task_live_idx ON task_notes (task_id, created_at, id) WHERE "deleted_at" IS NULL;
  CREATE INDEX task_notes_task_idx ON task_notes (task_id);
  CREATE INDEX task_notes_deleted_at_idx ON task_notes (deleted_at) WHERE "deleted_at" IS NOT NULL;
`;
