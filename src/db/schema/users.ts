import { pgTable, text, uuid } from "drizzle-orm/pg-core";
import { deletedAtIndex, idColumn, liveIndex, liveUniqueIndex, softDeleteColumns, trackingColumns } from "./columns.js";
import { organizations } from "./organizations.js";

export const users = pgTable(
  "users",
  {
    id: idColumn(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    email: text("email").notNull(),
    name: text("name").notNull(),
    ...trackingColumns(),
    ...softDeleteColumns(),
  },
  (t) => [
    liveUniqueIndex("users_org_email_live_key", t.organizationId, t.email),
    liveIndex("users_org_live_idx", t.organizationId, t.createdAt, t.id),
    deletedAtIndex("users_deleted_at_idx", t.deletedAt),
  ],
);
