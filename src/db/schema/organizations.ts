import { pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { idColumn, trackingColumns } from "./columns.js";

/** Tenants. Not soft-deletable: every other row belongs to exactly one organization. */
export const organizations = pgTable(
  "organizations",
  {
    id: idColumn(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    ...trackingColumns(),
  },
  (t) => [uniqueIndex("organizations_slug_key").on(t.slug)],
);
