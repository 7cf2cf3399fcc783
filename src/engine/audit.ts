/**
 * Audit entries are written by the same statement that changes the rows (a data-modifying CTE feeding an
 * INSERT), so a change without its entry, or an entry without its change, cannot be committed.
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
      ${info.operationId}::uuid, ${info.ctx.requestId ?? null}, ${info.reason ?? null}, ${textArray(fields)}
    FROM ${sql.identifier(source)}`;
}

/** The fields a soft delete or restore changes, as recorded in `changed_fields`. */
export const DELETION_FIELDS = ["deletedAt", "deletedBy", "deletionReason", "deletionOperationId"];
