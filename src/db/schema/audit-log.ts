import { bigint, customType, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { actors } from "./actors.js";
import { organizations } from "./organizations.js";

/** PostgreSQL `bytea`, read as a Buffer by both drivers. */
export const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

/**
 * The append-only audit trail: one row per effective change, written in the same transaction as the change.
 * A trigger (migration 0001) rejects UPDATE and DELETE. It holds no personal data: the actor is a reference,
 * and `changed_fields` names fields, never their values.
 *
 * Each organization's rows form a hash chain (migration 0003): `seq` numbers them 1, 2, 3 … per
 * organization and `hash` = sha256(previous row's hash ‖ this row's content), both set by a trigger in the
 * statement that inserts the row, from the organization's row in `audit_chain_heads`. See
 * src/engine/audit-chain.ts for the content encoding and the verifier.
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
    /** Position in the organization's chain (1, 2, 3 …), set by the chain trigger. */
    seq: bigint("seq", { mode: "number" }).notNull(),
    /** sha256(previous hash ‖ content), set by the chain trigger. */
    hash: bytea("hash").notNull(),
  },
  (t) => [
    index("audit_log_org_id_idx").on(t.organizationId, t.id),
    index("audit_log_entity_idx").on(t.entityId),
    index("audit_log_operation_idx").on(t.operationId),
    index("audit_log_actor_idx").on(t.actorId),
    uniqueIndex("audit_log_org_seq_key").on(t.organizationId, t.seq),
  ],
);

/**
 * The head of each organization's audit chain: the last `seq` and `hash` written. A transaction's first audit
 * row of an organization locks it (`SELECT … FOR UPDATE`, which under READ COMMITTED returns the newest committed
 * head after waiting), so concurrent writers of one organization chain in commit order; the head is written back
 * once per statement (migration 0006).
 * `base_seq`/`base_hash` are the checkpoint a chain starts from (0 and 32 zero bytes until audit rows are
 * ever purged: a purge moves the checkpoint to the last purged row).
 */
export const auditChainHeads = pgTable("audit_chain_heads", {
  organizationId: uuid("organization_id")
    .primaryKey()
    .references(() => organizations.id),
  seq: bigint("seq", { mode: "number" }).notNull().default(0),
  hash: bytea("hash")
    .notNull()
    .default(sql`'\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea`),
  baseSeq: bigint("base_seq", { mode: "number" }).notNull().default(0),
  baseHash: bytea("base_hash")
    .notNull()
    .default(sql`'\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea`),
});
