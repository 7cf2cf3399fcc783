/**
 * Audit entries are written by the same statement that changes the rows (a data-modifying CTE feeding an
 * INSERT), so a change without its entry, or an entry without its change, cannot be committed.
 *
 * An operation's reason is stored once: on its first entry (the row the caller named, or a bulk operation's
 * first row); every later entry of the operation (cascaded rows, later batches) holds NULL and readers take
 * the reason from the operation's first entry (`operationReason`). A 1,000-character reason on a project that
 * cascades to 30 rows costs 1,000 characters in the append-only trail, not 30,000.
 */
import { sql, type SQL } from "drizzle-orm";
import type { OperationContext } from "./context.js";
import type { Tally } from "./observer.js";
import { textArray } from "./sql.js";

export type AuditAction = "CREATE" | "UPDATE" | "SOFT_DELETE" | "RESTORE" | "HARD_DELETE" | "PURGE" | "ERASE";

export interface AuditInfo {
  ctx: OperationContext;
  actorId: string;
  operationId: string;
  reason?: string | null | undefined;
  /** Rows the current transaction soft-deleted or restored, for the engine's observer (reported on commit). */
  tally?: Tally;
}

/**
 * `INSERT INTO audit_log … SELECT … FROM <source>`: one entry per row of `source`, a CTE exposing `id`.
 */
export function auditFrom(
  source: string,
  action: AuditAction,
  entityType: string,
  info: AuditInfo,
  fields: string[],
): SQL {
  return sql`INSERT INTO audit_log (organization_id, actor_id, action, entity_type, entity_id, operation_id, request_id, reason, changed_fields)
    SELECT ${info.ctx.organizationId}::uuid, ${info.actorId}::uuid, ${action}, ${entityType}, ${sql.identifier(source)}.id,
      ${info.operationId}::uuid, ${info.ctx.requestId ?? null}, ${reasonOnce(info)}, ${textArray(fields)}
    FROM ${sql.identifier(source)}`;
}

/** The reason for the first entry of the operation only (an index probe on audit_log_operation_idx). */
function reasonOnce(info: AuditInfo): SQL {
  if (!info.reason) return sql`NULL::text`;
  return sql`CASE WHEN row_number() OVER () = 1
      AND NOT EXISTS (SELECT 1 FROM audit_log prior WHERE prior.operation_id = ${info.operationId}::uuid)
    THEN ${info.reason}::text END`;
}

/**
 * An entry's reason as a reader sees it: its own, or its operation's (stored on the operation's first entry).
 * `alias` is the audit_log alias of the query.
 */
export function operationReason(alias: string): SQL {
  const a = sql.identifier(alias);
  return sql`COALESCE(${a}.reason, (SELECT first.reason FROM audit_log first
    WHERE first.operation_id = ${a}.operation_id AND first.reason IS NOT NULL ORDER BY first.id LIMIT 1))`;
}

/** The fields a soft delete or restore changes, as recorded in `changed_fields`. */
export const DELETION_FIELDS = ["deletedAt", "deletedBy", "deletionReason", "deletionOperationId"];
