/**
 * THE way an audited change runs, for single-row writes, erasure and every batch of a bulk operation alike:
 * - the actor row is resolved first and committed on its own (a rolled-back operation never leaves the audit trail
 *   pointing at nothing), and cached: actor rows are never deleted (erasure blanks them);
 * - the operation id names every audit entry and deleted row of the operation;
 * - the work runs in one transaction, re-run from the start on a serialization failure or deadlock, which acts as
 *   the application role for the organization under row-level security (src/db/tenant-scope.ts) and takes the
 *   organization's audit chain lock before any row (see lockAuditChain);
 * - database errors are translated where they arise (CONFLICT, BAD_USER_INPUT, …);
 * - the rows soft-deleted and restored are told to the observer once committed (a dry run tells nothing).
 */
import { randomUUID } from "node:crypto";
import type { Database } from "../db/database.js";
import { ensureActor } from "./actors.js";
import { lockAuditChain } from "./audit-chain.js";
import type { AuditInfo } from "./audit.js";
import type { OperationContext } from "./context.js";
import { reportTally, type EngineObserver, type Tally } from "./observer.js";
import type { Registry } from "./registry.js";
import { dryRun, inTransaction } from "./transaction.js";
import { translateDbError } from "./translate.js";

export interface OperationOptions {
  /** Why: kept in the audit entries and on the rows deleted. @default null */
  reason?: string | null | undefined;
  /** The operation's id, when several transactions make one operation (a bulk operation's batches). @default a new uuid */
  operationId?: string | undefined;
  /** Roll everything back at the end and return what was computed. @default false */
  dryRun?: boolean | undefined;
}

/** The most actor ids kept; the cache starts over beyond it. */
const MAX_CACHED_ACTORS = 10_000;

export class Operations {
  private readonly actorIds = new Map<string, string>();

  constructor(
    private readonly db: Database,
    private readonly registry: Registry,
    private readonly observer?: EngineObserver | undefined,
    /** Transactions act as the application role for their organization (src/db/tenant-scope.ts). */
    private readonly rowLevelSecurity = true,
  ) {}

  /** The actor row id of `ctx`'s subject, created (and committed) on first use. */
  async actorOf(ctx: OperationContext): Promise<string> {
    const key = `${ctx.organizationId}\u0000${ctx.actor}`;
    let actorId = this.actorIds.get(key);
    if (!actorId) {
      actorId = await ensureActor(this.db, this.registry, ctx);
      if (this.actorIds.size >= MAX_CACHED_ACTORS) this.actorIds.clear();
      this.actorIds.set(key, actorId);
    }
    return actorId;
  }

  /**
   * Runs `work` as one audited operation of `ctx` (see the module's rules).
   * @example engine.withOperation(ctx, { reason }, (tx, info) => softDeleteWhere(tx, entity, where, info))
   */
  async run<T>(
    ctx: OperationContext,
    options: OperationOptions,
    work: (tx: Database, info: AuditInfo) => Promise<T>,
  ): Promise<T> {
    const tally: Tally = new Map();
    const info: AuditInfo = {
      ctx,
      actorId: await this.actorOf(ctx),
      operationId: options.operationId ?? randomUUID(),
      reason: options.reason ?? null,
      tally,
    };
    const attempt = async (tx: Database) => {
      // Counted afresh on every attempt: a serialization failure re-runs the whole transaction.
      tally.clear();
      await lockAuditChain(tx, ctx.organizationId);
      return work(tx, info);
    };
    try {
      const scope = { organizationId: ctx.organizationId, rowLevelSecurity: this.rowLevelSecurity };
      if (options.dryRun) return await dryRun(this.db, attempt, scope);
      const result = await inTransaction(this.db, attempt, { scope });
      reportTally(this.observer, tally);
      return result;
    } catch (err) {
      throw translateDbError(this.registry, err);
    }
  }
}
