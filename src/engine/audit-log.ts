/**
 * Reading the audit trail: newest first, within one organization, keyset-paged by the entry's position in its
 * organization's chain (`seq`, index `audit_log_org_seq_key`). Never by `audit_log.id`: that one sequence is
 * shared by every organization, so its gaps would show a tenant how much the others write.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Database } from "../db/database.js";
import type { OperationContext } from "./context.js";
import { operationReason } from "./audit.js";
import { InvalidInputError } from "./errors.js";
import { rows } from "./sql.js";

export interface AuditEntry {
  /** The entry's position in its organization's chain (1, 2, 3 …). */
  seq: number;
  at: Date;
  action: string;
  entityType: string;
  entityId: string;
  operationId: string;
  requestId: string | null;
  reason: string | null;
  changedFields: string[] | null;
  /** The actor's subject; null once the actor was erased. */
  actor: string | null;
}

export interface AuditFilter {
  entityId?: string | undefined;
  operationId?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
}

const CURSOR_PREFIX = "audit:";

/**
 * An auditLog cursor: the entry's organization and chain position, opaque to clients.
 * @example encodeAuditCursor(orgId, 42) // base64url of "audit:<orgId>:42"
 */
export const encodeAuditCursor = (organizationId: string, seq: number) =>
  Buffer.from(`${CURSOR_PREFIX}${organizationId}:${seq}`).toString("base64url");

/**
 * The chain position an auditLog cursor of `organizationId` names.
 * @throws BAD_USER_INPUT on `after` for a malformed cursor and for another organization's, alike (the same message
 * and code: a cursor says nothing about whether another organization exists).
 */
export function decodeAuditCursor(value: string | null | undefined, organizationId: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  const m = /^audit:([0-9a-f-]{36}):([1-9][0-9]{0,15})$/i.exec(Buffer.from(value, "base64url").toString());
  const seq = Number(m?.[2]);
  if (!m || m[1]!.toLowerCase() !== organizationId.toLowerCase() || !Number.isSafeInteger(seq))
    throw new InvalidInputError("after", "after must be a cursor returned by auditLog", value);
  return seq;
}

/**
 * One page of the organization's audit trail matching `filter`, newest first; `count` counts every match.
 * @example await auditPage(db, ctx, { operationId }, 20, decodeAuditCursor(after, ctx.organizationId))
 */
export async function auditPage(
  db: Database,
  ctx: OperationContext,
  filter: AuditFilter,
  first: number,
  /** Only entries before this chain position (from `decodeAuditCursor`). */
  afterSeq: number | undefined,
): Promise<{ entries: AuditEntry[]; hasNextPage: boolean; count: () => Promise<number> }> {
  const conditions: SQL[] = [sql`a.organization_id = ${ctx.organizationId}::uuid`];
  if (filter.entityId) conditions.push(sql`a.entity_id = ${filter.entityId}::uuid`);
  if (filter.operationId) conditions.push(sql`a.operation_id = ${filter.operationId}::uuid`);
  if (filter.action) conditions.push(sql`a.action = ${filter.action}`);
  if (filter.actor) conditions.push(sql`ac.subject = ${filter.actor}`);
  const where = sql.join(conditions, sql` AND `);
  const found = await rows<Record<string, unknown>>(
    db,
    sql`SELECT a.seq::text AS seq, a.at, a.action, a.entity_type, a.entity_id, a.operation_id, a.request_id, ${operationReason("a")} AS reason,
          a.changed_fields, CASE WHEN ac.erased_at IS NULL THEN ac.subject END AS actor
        FROM audit_log a JOIN actors ac ON ac.id = a.actor_id
        WHERE ${where} ${afterSeq ? sql`AND a.seq < ${afterSeq}` : sql``}
        ORDER BY a.seq DESC LIMIT ${first + 1}`,
  );
  const entries = found.map((r) => ({
    seq: Number(r.seq),
    at: r.at instanceof Date ? r.at : new Date(String(r.at)),
    action: String(r.action),
    entityType: String(r.entity_type),
    entityId: String(r.entity_id),
    operationId: String(r.operation_id),
    requestId: (r.request_id as string | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    changedFields: (r.changed_fields as string[] | null) ?? null,
    actor: (r.actor as string | null) ?? null,
  }));
  return {
    entries: entries.slice(0, first),
    hasNextPage: entries.length > first,
    count: async () => {
      const [r] = await rows<{ n: number }>(
        db,
        sql`SELECT count(*)::int AS n FROM audit_log a JOIN actors ac ON ac.id = a.actor_id WHERE ${where}`,
      );
      return r?.n ?? 0;
    },
  };
}
