/** Reading the audit trail: newest first, keyset-paged by entry id, within one organization. */
import { sql, type SQL } from "drizzle-orm";
import type { Database } from "../db/database.js";
import type { OperationContext } from "./context.js";
import { operationReason } from "./audit.js";
import { InvalidInputError } from "./errors.js";
import { rows } from "./sql.js";

export interface AuditEntry {
  id: number;
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

export function decodeAuditCursor(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const n = Number(
    Buffer.from(value, "base64url")
      .toString()
      .replace(/^audit:/, ""),
  );
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidInputError("after", "after must be a cursor returned by auditLog", value);
  return n;
}

export const encodeAuditCursor = (id: number) => Buffer.from(`audit:${id}`).toString("base64url");

export async function auditPage(
  db: Database,
  ctx: OperationContext,
  filter: AuditFilter,
  first: number,
  after: number | undefined,
): Promise<{ entries: AuditEntry[]; hasNextPage: boolean; count: () => Promise<number> }> {
  const conditions: SQL[] = [sql`a.organization_id = ${ctx.organizationId}::uuid`];
  if (filter.entityId) conditions.push(sql`a.entity_id = ${filter.entityId}::uuid`);
  if (filter.operationId) conditions.push(sql`a.operation_id = ${filter.operationId}::uuid`);
  if (filter.action) conditions.push(sql`a.action = ${filter.action}`);
  if (filter.actor) conditions.push(sql`ac.subject = ${filter.actor}`);
  const where = sql.join(conditions, sql` AND `);
  const found = await rows<Record<string, unknown>>(
    db,
    sql`SELECT a.id::int8::text AS id, a.at, a.action, a.entity_type, a.entity_id, a.operation_id, a.request_id, ${operationReason("a")} AS reason,
          a.changed_fields, CASE WHEN ac.erased_at IS NULL THEN ac.subject END AS actor
        FROM audit_log a JOIN actors ac ON ac.id = a.actor_id
        WHERE ${where} ${after ? sql`AND a.id < ${after}` : sql``}
        ORDER BY a.id DESC LIMIT ${first + 1}`,
  );
  const entries = found.map((r) => ({
    id: Number(r.id),
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
