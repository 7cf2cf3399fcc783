import { pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { idColumn } from "./columns.js";
import { organizations } from "./organizations.js";
import { users } from "../../domain/entities/user.js";

/**
 * Who acts: one row per (organization, token subject). The audit trail points here instead of holding a name,
 * so erasing a person blanks one row and never rewrites history.
 */
export const actors = pgTable(
  "actors",
  {
    id: idColumn(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    subject: text("subject").notNull(),
    userId: uuid("user_id").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    erasedAt: timestamp("erased_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [uniqueIndex("actors_org_subject_key").on(t.organizationId, t.subject)],
);
