/**
 * Column and index helpers shared by every table.
 *
 * Invariant kept here: a soft-deletable row is live exactly when `deleted_at IS NULL`; `is_deleted` is a
 * generated column, so it can never disagree with `deleted_at`.
 */
import { sql } from "drizzle-orm";
import { boolean, index, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/** The predicate of every partial index over live rows. */
export const LIVE_ROWS = sql.raw(`"deleted_at" IS NULL`);

/** `id uuid primary key default gen_random_uuid()`. */
export const idColumn = () => uuid("id").primaryKey().defaultRandom();

/** Who created and last changed the row, and when. `created_by`/`updated_by` hold the actor's subject. */
export const trackingColumns = () => ({
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  createdBy: text("created_by"),
  updatedBy: text("updated_by"),
});

/**
 * The soft-delete columns: when, who, why, and which operation deleted the row.
 * Rows deleted together (a cascade, a bulk batch) share `deletion_operation_id`, which is what lets
 * `restore` undo exactly one operation.
 *
 * @example
 * export const notes = pgTable("notes", { id: idColumn(), ...softDeleteColumns() });
 */
export const softDeleteColumns = () => ({
  deletedAt: timestamp("deleted_at", { withTimezone: true, mode: "date" }),
  deletedBy: text("deleted_by"),
  deletionReason: text("deletion_reason"),
  deletionOperationId: uuid("deletion_operation_id"),
  isDeleted: boolean("is_deleted")
    .notNull()
    .generatedAlwaysAs(sql`deleted_at IS NOT NULL`),
});

type IndexColumns = Parameters<ReturnType<typeof index>["on"]>;

/**
 * A partial index over live rows only: the hot lookups never read dead rows.
 * @example liveIndex("tasks_project_live_idx", t.projectId, t.createdAt)
 */
export const liveIndex = (name: string, ...columns: IndexColumns) =>
  index(name)
    .on(...columns)
    .where(LIVE_ROWS);

/**
 * A unique key that holds among live rows only (a partial unique index), so a soft-deleted row never blocks
 * re-creating the same email or slug. Restoring a row whose key a live row now holds fails with 23505 on this
 * index, which the engine reports as a conflict naming the key.
 * @example liveUniqueIndex("users_org_email_live_key", t.organizationId, t.email)
 */
export const liveUniqueIndex = (name: string, ...columns: IndexColumns) =>
  uniqueIndex(name)
    .on(...columns)
    .where(LIVE_ROWS);

/** Index on `deleted_at` of deleted rows only: the trash view and the retention purge scan it. */
export const deletedAtIndex = (name: string, column: IndexColumns[0]) =>
  index(name).on(column).where(sql.raw(`"deleted_at" IS NOT NULL`));
