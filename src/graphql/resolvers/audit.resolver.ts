import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from "type-graphql";
import { auditPage, decodeAuditCursor, encodeAuditCursor } from "../../engine/audit-log.js";
import { MAX_PAGE_SIZE } from "../args.js";
import type { Context } from "../context.js";
import { InvalidInputError } from "../../engine/errors.js";
import { fromGlobalId, toAuditEntryId, toGlobalId, type NodeType } from "../ids.js";
import { oneAtATime } from "../request-share.js";
import { isUuid } from "../../engine/sql.js";
import { verifyChain } from "../../engine/audit-chain.js";
import { AuditAction, AuditEntryConnection, AuditIntegrity } from "../types/audit.types.js";

@Resolver()
export class AuditResolver {
  @Authorized("ADMIN")
  @Query(() => AuditEntryConnection, { description: "The audit trail of the caller's organization, newest first." })
  async auditLog(
    @Ctx() ctx: Context,
    @Arg("entityId", () => ID, { nullable: true }) entityId?: string | null,
    @Arg("operationId", () => ID, { nullable: true }) operationId?: string | null,
    @Arg("actor", () => String, { nullable: true }) actor?: string | null,
    @Arg("action", () => AuditAction, { nullable: true }) action?: AuditAction | null,
    @Arg("first", () => Int, { defaultValue: 20 }) first = 20,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
  ) {
    if (first < 0 || first > MAX_PAGE_SIZE)
      throw new InvalidInputError("first", `first must be between 0 and ${MAX_PAGE_SIZE}, got ${first}`);
    if (operationId && !isUuid(operationId))
      throw new InvalidInputError(
        "operationId",
        `operationId must be an operation id returned by this API, got ${JSON.stringify(operationId)}`,
      );
    const page = await auditPage(
      ctx.engine.db,
      ctx.op,
      {
        entityId: entityId ? fromGlobalId(entityId, "entityId", ctx.engine.registry.names).id : undefined,
        operationId: operationId ?? undefined,
        actor: actor ?? undefined,
        action: action ?? undefined,
      },
      first,
      decodeAuditCursor(after, ctx.op.organizationId),
    );
    const org = ctx.op.organizationId;
    const edges = page.entries.map(({ seq, ...e }) => ({
      cursor: encodeAuditCursor(org, seq),
      node: { ...e, id: toAuditEntryId(org, seq), entityId: toGlobalId(e.entityType as NodeType, e.entityId) },
    }));
    return {
      edges,
      pageInfo: {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: !!after,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      totalCount: page.count,
    };
  }

  @Authorized("ADMIN")
  @Query(() => AuditIntegrity, {
    description:
      "Recomputes the caller's organization's audit hash chain and reports the first break, if any (reads every entry).",
  })
  async auditIntegrity(@Ctx() ctx: Context): Promise<AuditIntegrity> {
    const r = await oneAtATime(ctx, () => verifyChain(ctx.engine.db, ctx.op.organizationId));
    return {
      ok: r.ok,
      entries: r.rows,
      headPosition: r.headSeq,
      headHash: r.headHash,
      firstBreak: r.firstBreak
        ? {
            entryId: r.firstBreak.entrySeq === null ? null : toAuditEntryId(r.organizationId, r.firstBreak.entrySeq),
            position: r.firstBreak.seq,
            problem: r.firstBreak.problem,
          }
        : null,
    };
  }
}
