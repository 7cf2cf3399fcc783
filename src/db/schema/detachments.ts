import { index, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { organizations } from "./organizations.js";

/**
 * References cleared by a DETACH policy, kept so that restoring the operation re-attaches exactly them.
 */
export const detachments = pgTable(
  "detachments",
  {
    /** The organization of the child row (row-level security keys on it, as on every tenant table). */
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    operationId: uuid("operation_id").notNull(),
    relation: text("relation").notNull(),
    childId: uuid("child_id").notNull(),
    parentId: uuid("parent_id").notNull(),
  },
  (t) => [index("detachments_operation_idx").on(t.operationId, t.relation)],
);
