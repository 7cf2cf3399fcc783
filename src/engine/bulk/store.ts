/** Reading and writing bulk operation rows, always within one organization. */
import { and, desc, eq, getTableColumns, lt, or, sql } from "drizzle-orm";
import type { Database } from "../../db/database.js";
import { bulkOperations } from "../../db/schema/index.js";
import type { OperationContext } from "../context.js";
import type { BulkOperation, BulkStatus } from "./types.js";

export async function getOperation(
  db: Database,
  id: string,
  organizationId?: string,
): Promise<BulkOperation | undefined> {
  const [row] = await db
    .select()
    .from(bulkOperations)
    .where(
      and(eq(bulkOperations.id, id), organizationId ? eq(bulkOperations.organizationId, organizationId) : undefined),
    );
  return row as BulkOperation | undefined;
}

export interface OperationsPage {
  /** Each with `cursorAt`, its created_at as PostgreSQL prints it (microseconds kept) for the next page. */
  operations: (BulkOperation & { cursorAt: string })[];
  hasNextPage: boolean;
}

/** Newest first, keyset-paged by (created_at, id). */
export async function listOperations(
  db: Database,
  ctx: OperationContext,
  status: BulkStatus | undefined,
  first: number,
  after: { at: string; id: string } | undefined,
): Promise<OperationsPage> {
  const found = (await db
    .select({ ...getTableColumns(bulkOperations), cursorAt: sql<string>`${bulkOperations.createdAt}::text` })
    .from(bulkOperations)
    .where(
      and(
        eq(bulkOperations.organizationId, ctx.organizationId),
        status ? eq(bulkOperations.status, status) : undefined,
        after
          ? or(
              lt(bulkOperations.createdAt, sql`${after.at}::timestamptz`),
              and(eq(bulkOperations.createdAt, sql`${after.at}::timestamptz`), lt(bulkOperations.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(bulkOperations.createdAt), desc(bulkOperations.id))
    .limit(first + 1)) as (BulkOperation & { cursorAt: string })[];
  return { operations: found.slice(0, first), hasNextPage: found.length > first };
}

export async function countOperations(
  db: Database,
  ctx: OperationContext,
  status: BulkStatus | undefined,
): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(bulkOperations)
    .where(
      and(
        eq(bulkOperations.organizationId, ctx.organizationId),
        status ? eq(bulkOperations.status, status) : undefined,
      ),
    );
  return row?.n ?? 0;
}
