import { bigint, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { actors } from "./actors.js";
import { organizations } from "./organizations.js";

/**
 * The append-only audit trail: one row per effective change, written in the same transaction as the change.
 * A trigger (migration 0001) rejects UPDATE and DELETE. It holds no personal data: the actor is a reference,
 * and `changed_fields` names fields, never their values.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    actorId: uuid("actor_id")
      .notNull()
      .references(() => actors.id),
    action: text("action").notNull(),
    entityType: text("entity_type").notNull(),
    entityId: uuid("entity_id").notNull(),
    operationId: uuid("operation_id").notNull(),
    requestId: text("request_id"),
    reason: text("reason"),
    changedFields: text("changed_fields").array(),
  },
  (t) => [
    index("audit_log_org_id_idx").on(t.organizationId, t.id),
    index("audit_log_entity_idx").on(t.entityId),
    index("audit_log_operation_idx").on(t.operationId),
    index("audit_log_actor_idx").on(t.actorId),
  ],
);
