import { index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { organizations } from "./organizations.js";

/**
 * Durable bulk jobs. The row is the job: its target, its progress (committed in the same transaction as each
 * batch, so a restart resumes exactly after the last committed batch), and its outcome. Its id is also the
 * deletion operation id of every row it soft-deletes, so `bulkRestore(operationId:)` can undo it.
 */
export const bulkOperations = pgTable(
  "bulk_operations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    kind: text("kind").notNull(),
    status: text("status").notNull().default("PENDING"),
    /** What to process: `{ ids: ["Type:uuid", …] }`, `{ filter: {…} }` or `{ operationId }`. */
    target: jsonb("target").notNull(),
    reason: text("reason"),
    /** Where the next batch starts: an index into the id list, or the last id seen by a keyset scan. */
    cursor: jsonb("cursor"),
    total: integer("total"),
    processed: integer("processed").notNull().default(0),
    cascaded: integer("cascaded").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    batches: integer("batches").notNull().default(0),
    /** Skipped rows per reason, e.g. `{ "ALREADY_DELETED": 3, "NOT_FOUND": 1 }`. */
    skippedReasons: jsonb("skipped_reasons").notNull().default({}),
    error: text("error"),
    cancelRequested: timestamp("cancel_requested", { withTimezone: true, mode: "date" }),
    createdBy: text("created_by").notNull(),
    requestId: text("request_id"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    index("bulk_operations_org_created_idx").on(t.organizationId, t.createdAt, t.id),
    index("bulk_operations_status_idx").on(t.status),
  ],
);
