import { type AnyPgColumn, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { deletedAtIndex, idColumn, liveIndex, liveUniqueIndex, softDeleteColumns, trackingColumns } from "./columns.js";
import { organizations } from "./organizations.js";
import { users } from "./users.js";

export const projects = pgTable(
  "projects",
  {
    id: idColumn(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    /** The project's lead; detached (set to null) when the lead is soft-deleted, re-attached on restore. */
    leadId: uuid("lead_id").references((): AnyPgColumn => users.id, { onDelete: "set null" }),
    ...trackingColumns(),
    ...softDeleteColumns(),
  },
  (t) => [
    liveUniqueIndex("projects_org_slug_live_key", t.organizationId, t.slug),
    liveIndex("projects_org_live_idx", t.organizationId, t.createdAt, t.id),
    liveIndex("projects_lead_live_idx", t.leadId),
    deletedAtIndex("projects_deleted_at_idx", t.deletedAt),
  ],
);
