/**
 * The soft-delete engine: single-row writes with their audit entries, cascading soft delete, exact restore
 * and hard delete, over any entities declared in a Registry. It imports nothing from GraphQL or HTTP, so a
 * CLI, a job runner or a test drives it directly.
 */
import { and, eq, sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Database } from "../db/database.js";
import { organizations } from "../db/schema/organizations.js";
import { defaultOf } from "../config/settings.js";
import { auditFrom, type AuditInfo } from "./audit.js";
import {
  cascadeRestore,
  cascadeSoftDelete,
  countsToList,
  restoreWhere,
  softDeleteWhere,
  type Counts,
} from "./cascade.js";
import type { OperationContext } from "./context.js";
import {
  AlreadyDeletedError,
  InvalidInputError,
  NotDeletedError,
  NotFoundError,
  ParentDeletedError,
  RestrictedError,
} from "./errors.js";
import type { Entity, RelationDeclaration, Registry } from "./registry.js";
import { columnOf, mapRow, type Row } from "./rows.js";
import { c, isUuid, rows, t, uuidArray } from "./sql.js";
import type { EngineObserver } from "./observer.js";
import { Operations, type OperationOptions } from "./operation.js";
import { boundedReason } from "./reason.js";
import { deleted, inOrganization, live, visibleRows, type Visibility } from "./visibility.js";

export interface EngineOptions {
  /** Refuse soft deletes without a reason. @default false */
  requireReason?: boolean;
  /** Apply CASCADE policies; false makes them behave as RESTRICT. @default true */
  cascade?: boolean;
  /** Deepest cascade below the deleted row. @default `defaultOf("MAX_CASCADE_DEPTH")` */
  maxCascadeDepth?: number;
  /** Told about committed soft deletes and restores (metrics); see observer.ts. */
  observer?: EngineObserver;
  /**
   * Make every transaction act as the application role for its organization, so PostgreSQL's row-level
   * security admits that organization's rows only (src/db/tenant-scope.ts). false only to measure its cost.
   * @default `defaultOf("ROW_LEVEL_SECURITY")`
   */
  rowLevelSecurity?: boolean;
  /** Longest reason, in characters. @default `defaultOf("MAX_REASON_LENGTH")` */
  maxReasonLength?: number;
}

export interface TypeCount {
  type: string;
  count: number;
}

export interface SoftDeleteResult {
  row: Row;
  operationId: string;
  /** Rows changed beyond the target, per type (cascaded deletes and detached references). */
  cascaded: TypeCount[];
  dryRun: boolean;
}

export interface RestoreResult {
  row: Row;
  operationId: string;
  /** Rows restored (or re-attached) beyond the target, per type, ancestors included. */
  cascaded: TypeCount[];
}

export interface HardDeleteResult {
  id: string;
  operationId: string;
  deleted: TypeCount[];
}

/** Fields only the engine writes (keys, tenant, soft-delete and audit columns): never taken from input. */
const RESERVED_FIELDS: ReadonlySet<string> = new Set([
  "id",
  "organizationId",
  "createdAt",
  "updatedAt",
  "createdBy",
  "updatedBy",
  "deletedAt",
  "deletedBy",
  "deletionReason",
  "deletionOperationId",
  "isDeleted",
]);

export class SoftDeleteEngine {
  readonly registry: Registry;
  /** Whoever watches the engine (metrics, logs); the bulk runner and maintenance report to it too. */
  readonly observer: EngineObserver | undefined;
  /** Actors, operation ids and transactions of audited changes (see operation.ts). */
  readonly operations: Operations;
  private readonly options: Required<Omit<EngineOptions, "observer">>;

  constructor(
    readonly db: Database,
    registry: Registry,
    options: EngineOptions = {},
  ) {
    const { observer, ...rest } = options;
    this.observer = observer;
    this.options = {
      requireReason: defaultOf("REQUIRE_DELETION_REASON"),
      cascade: defaultOf("CASCADE_SOFT_DELETE"),
      maxCascadeDepth: defaultOf("MAX_CASCADE_DEPTH"),
      rowLevelSecurity: defaultOf("ROW_LEVEL_SECURITY"),
      maxReasonLength: defaultOf("MAX_REASON_LENGTH"),
      ...rest,
    };
    this.registry = this.options.cascade
      ? registry
      : registry.withPolicies((r) => (r.policy === "CASCADE" ? "RESTRICT" : r.policy));
    this.operations = new Operations(db, this.registry, observer, this.options.rowLevelSecurity);
  }

  /** Whether transactions act for their organization under row-level security (EngineOptions). */
  get rowLevelSecurity(): boolean {
    return this.options.rowLevelSecurity;
  }

  // ---------------------------------------------------------------- reads

  /** One row of the organization, if `visibility` admits it. */
  async find(
    type: string,
    ctx: OperationContext,
    id: string,
    visibility: Visibility = "LIVE",
  ): Promise<Row | undefined> {
    if (!isUuid(id)) return undefined;
    const entity = this.registry.entity(type);
    const [row] = await this.db
      .select()
      .from(entity.table)
      .where(visibleRows(entity.table, ctx.organizationId, visibility, eq(entity.table.id, id)));
    return row as Row | undefined;
  }

  /** Rows by id (any order; missing and invisible ids are absent). */
  async findMany(type: string, ctx: OperationContext, ids: readonly string[], visibility: Visibility): Promise<Row[]> {
    const valid = ids.filter(isUuid);
    if (!valid.length) return [];
    const entity = this.registry.entity(type);
    return (await this.db
      .select()
      .from(entity.table)
      .where(
        visibleRows(entity.table, ctx.organizationId, visibility, sql`${entity.table.id} = ANY(${uuidArray(valid)})`),
      )) as Row[];
  }

  /**
   * The organization's rows of `type` that `visibility` admits and `where` matches (at most `limit`).
   * @example engine.findWhere("User", ctx, "LIVE", eq(users.email, subject), 1)
   */
  async findWhere(
    type: string,
    ctx: OperationContext,
    visibility: Visibility,
    where: SQL,
    limit = 100,
  ): Promise<Row[]> {
    const entity = this.registry.entity(type);
    return (await this.db
      .select()
      .from(entity.table)
      .where(visibleRows(entity.table, ctx.organizationId, visibility, where))
      .limit(limit)) as Row[];
  }

  /** The context's organization (organizations are never deleted); undefined for an unknown id. */
  async organization(ctx: OperationContext): Promise<{ id: string; slug: string; name: string } | undefined> {
    const [org] = await this.db
      .select({ id: organizations.id, slug: organizations.slug, name: organizations.name })
      .from(organizations)
      .where(eq(organizations.id, ctx.organizationId));
    return org;
  }

  // ---------------------------------------------------------------- writes

  /**
   * Runs `work` as one audited operation of `ctx`: actor, operation id, one transaction holding the audit chain
   * lock, translated errors, the observer told on commit (see operation.ts). Every write of the engine, erasure
   * and each bulk batch go through here.
   * @example engine.withOperation(ctx, { reason: "duplicate" }, (tx, info) => softDeleteWhere(tx, entity, where, info))
   */
  withOperation<T>(
    ctx: OperationContext,
    options: OperationOptions,
    work: (tx: Database, info: AuditInfo) => Promise<T>,
  ): Promise<T> {
    return this.operations.run(ctx, options, work);
  }

  /** Locks a row FOR UPDATE within the organization; NOT_FOUND when absent. */
  private async lockRow(tx: Database, entity: Entity, ctx: OperationContext, id: string): Promise<Row> {
    if (!isUuid(id)) throw new NotFoundError(entity.name, id);
    const [raw] = await rows<Record<string, unknown>>(
      tx,
      sql`SELECT * FROM ${t(entity)} WHERE id = ${id}::uuid AND ${c(entity.table.organizationId)} = ${ctx.organizationId} FOR UPDATE`,
    );
    if (!raw) throw new NotFoundError(entity.name, id);
    return mapRow(entity, raw);
  }

  /**
   * Locks the parent referenced through `rel` FOR SHARE and returns whether it is live; NOT_FOUND (naming
   * the field) when it does not exist in the organization.
   */
  private async parentIsLive(
    tx: Database,
    rel: RelationDeclaration,
    parentId: string,
    ctx: OperationContext,
    field: string,
  ) {
    const parent = this.registry.entity(rel.parent);
    if (!isUuid(parentId)) throw new InvalidInputError(field, `${field} must be the id of a ${parent.name}`, parentId);
    const [row] = await rows<{ deleted: boolean }>(
      tx,
      sql`SELECT ${deleted(parent.table)} AS deleted FROM ${t(parent)}
          WHERE id = ${parentId}::uuid AND ${inOrganization(parent.table, ctx.organizationId)} FOR SHARE`,
    );
    if (!row) throw new NotFoundError(parent.name, parentId);
    return !row.deleted;
  }

  private fieldOf(entity: Entity, column: PgColumn): string {
    return Object.entries(entity.table).find(([, col]) => col === column)?.[0] ?? column.name;
  }

  /** Refuses a reference to a missing or deleted parent in `values`. */
  private async checkParents(
    tx: Database,
    entity: Entity,
    ctx: OperationContext,
    values: Record<string, unknown>,
    selfId?: string,
  ) {
    for (const rel of this.registry.parentsOf(entity.name)) {
      const field = this.fieldOf(entity, rel.column);
      const parentId = values[field];
      if (parentId === undefined || parentId === null) continue;
      if (!(await this.parentIsLive(tx, rel, String(parentId), ctx, field)))
        throw new ParentDeletedError(entity.name, rel.name, rel.parent, String(parentId));
      if (
        selfId &&
        rel.parent === entity.name &&
        (await this.isAncestorOrSelf(tx, entity, rel, selfId, String(parentId)))
      )
        throw new InvalidInputError(
          field,
          `${field} would make ${entity.name} ${selfId} its own ancestor (${rel.name})`,
        );
    }
  }

  /** Whether `rowId` is `candidateParent` or one of its ancestors over the self-reference `rel`. */
  private async isAncestorOrSelf(
    tx: Database,
    entity: Entity,
    rel: RelationDeclaration,
    rowId: string,
    candidateParent: string,
  ) {
    const found = await rows<{ hit: number }>(
      tx,
      sql`WITH RECURSIVE up(id) AS (
            SELECT ${candidateParent}::uuid
            UNION SELECT x.${c(rel.column)} FROM ${t(entity)} x JOIN up ON x.id = up.id WHERE x.${c(rel.column)} IS NOT NULL)
          SELECT 1 AS hit FROM up WHERE id = ${rowId}::uuid LIMIT 1`,
    );
    return found.length > 0;
  }

  private assertWritable(entity: Entity, values: Record<string, unknown>) {
    const reserved = RESERVED_FIELDS;
    for (const key of Object.keys(values)) {
      if (reserved.has(key) || !columnOf(entity, key))
        throw new InvalidInputError(key, `${key} is not a writable field of ${entity.name}`);
    }
  }

  /** Inserts a row with its CREATE audit entry; a parent must exist and be live. */
  async create(type: string, ctx: OperationContext, values: Record<string, unknown>): Promise<Row> {
    const entity = this.registry.entity(type);
    this.assertWritable(entity, values);
    return this.withOperation(ctx, {}, async (tx, info) => {
      await this.checkParents(tx, entity, ctx, values);
      const [row] = (await tx
        .insert(entity.table)
        .values({ ...values, organizationId: ctx.organizationId, createdBy: ctx.actor, updatedBy: ctx.actor } as never)
        .returning()) as Row[];
      await this.audit(tx, entity, [row!.id], "CREATE", info, Object.keys(values));
      return row!;
    });
  }

  /** Changes a live row; only fields whose value differs are written and audited. */
  async update(type: string, ctx: OperationContext, id: string, patch: Record<string, unknown>): Promise<Row> {
    const entity = this.registry.entity(type);
    this.assertWritable(entity, patch);
    return this.withOperation(ctx, {}, async (tx, info) => {
      const current = await this.lockRow(tx, entity, ctx, id);
      if (current.deletedAt) throw new AlreadyDeletedError(entity.name, id, "update");
      const changed = Object.keys(patch).filter((k) => patch[k] !== undefined && !sameValue(current[k], patch[k]));
      if (!changed.length) return current;
      const values = Object.fromEntries(changed.map((k) => [k, patch[k]]));
      await this.checkParents(tx, entity, ctx, values, id);
      const [row] = (await tx
        .update(entity.table)
        .set({ ...values, updatedAt: sql`now()`, updatedBy: ctx.actor } as never)
        .where(and(eq(entity.table.id, id), eq(entity.table.organizationId, ctx.organizationId)))
        .returning()) as Row[];
      await this.audit(tx, entity, [id], "UPDATE", info, changed);
      return row!;
    });
  }

  private async audit(
    tx: Database,
    entity: Entity,
    ids: string[],
    action: "CREATE" | "UPDATE",
    info: AuditInfo,
    fields: string[],
  ) {
    await tx.execute(
      sql`WITH src AS (SELECT unnest(${uuidArray(ids)}) AS id) ${auditFrom("src", action, entity.name, info, fields)}`,
    );
  }

  /**
   * Soft-deletes a live row and, by the relations' policies, its live subtree, in one transaction under one
   * operation id. `dryRun` computes the same result and rolls it back.
   * @throws NOT_FOUND, ALREADY_DELETED, RESTRICTED, BAD_USER_INPUT (reason required)
   */
  async softDelete(
    type: string,
    ctx: OperationContext,
    id: string,
    opts: { reason?: string | null | undefined; dryRun?: boolean } = {},
  ): Promise<SoftDeleteResult> {
    const entity = this.registry.entity(type);
    const reason = boundedReason(opts.reason, this.options.maxReasonLength);
    if (this.options.requireReason && !reason)
      throw new InvalidInputError("reason", "a reason is required to delete (REQUIRE_DELETION_REASON=true)");
    // A dry run writes (and rolls back) what the real one would, audit rows included: same lock order.
    return this.withOperation(ctx, { reason, dryRun: opts.dryRun }, async (tx, info): Promise<SoftDeleteResult> => {
      const target = sql`id = ${isUuid(id) ? id : null}::uuid`;
      let ids = await softDeleteWhere(tx, entity, target, info);
      if (!ids.length) {
        // Zero rows: decide why without a race (the row is locked by now if it exists).
        const current = await this.lockRow(tx, entity, ctx, id);
        if (current.deletedAt) throw new AlreadyDeletedError(entity.name, id);
        // Live now: a concurrent restore committed after our UPDATE's snapshot. We hold its lock, so the
        // delete simply comes after the restore.
        ids = await softDeleteWhere(tx, entity, target, info);
        if (!ids.length) throw new NotFoundError(entity.name, id);
      }
      const counts = await cascadeSoftDelete(tx, this.registry, entity, ids, info, {
        maxDepth: this.options.maxCascadeDepth,
      });
      const row = await this.lockRow(tx, entity, ctx, id);
      return { row, operationId: info.operationId, cascaded: countsToList(counts), dryRun: !!opts.dryRun };
    });
  }

  /**
   * Restores a deleted row and exactly the rows its deletion operation deleted below it. A row whose parent
   * is still deleted is refused with PARENT_DELETED, unless `withAncestors` restores the deleted ancestors
   * first (each with the rows of its own deletion operation).
   */
  async restore(
    type: string,
    ctx: OperationContext,
    id: string,
    opts: { withAncestors?: boolean } = {},
  ): Promise<RestoreResult> {
    const entity = this.registry.entity(type);
    return this.withOperation(ctx, {}, async (tx, info) => {
      const counts: Counts = new Map();
      const current = await this.lockRow(tx, entity, ctx, id);
      if (!current.deletedAt) throw new NotDeletedError(entity.name, id);
      await this.restoreOne(tx, entity, current, info, !!opts.withAncestors, counts, true);
      const row = await this.lockRow(tx, entity, ctx, id);
      return { row, operationId: info.operationId, cascaded: countsToList(counts) };
    });
  }

  private async restoreOne(
    tx: Database,
    entity: Entity,
    current: Row,
    info: AuditInfo,
    withAncestors: boolean,
    counts: Counts,
    isTarget: boolean,
    pending = new Set<string>(),
  ): Promise<void> {
    pending.add(`${entity.name}:${current.id}`);
    for (const rel of this.registry.parentsOf(entity.name)) {
      if (rel.policy !== "CASCADE" && rel.policy !== "RESTRICT") continue;
      const parentId = current[this.fieldOf(entity, rel.column)];
      if (parentId === null || parentId === undefined) continue;
      if (await this.parentIsLive(tx, rel, String(parentId), info.ctx, rel.name)) continue;
      // A deleted parent already waiting below us is a reference cycle: no member can be live first.
      if (!withAncestors || pending.has(`${rel.parent}:${String(parentId)}`))
        throw new ParentDeletedError(entity.name, rel.name, rel.parent, String(parentId));
      const parent = this.registry.entity(rel.parent);
      const parentRow = await this.lockRow(tx, parent, info.ctx, String(parentId));
      await this.restoreOne(tx, parent, parentRow, info, true, counts, false, pending);
    }
    // An ancestor's restore may have brought this row back with its own operation.
    const fresh = await this.lockRow(tx, entity, info.ctx, current.id);
    if (!fresh.deletedAt) {
      // That restore counted it, but `cascaded` leaves the target out.
      if (isTarget) {
        const n = (counts.get(entity.name) ?? 0) - 1;
        if (n > 0) counts.set(entity.name, n);
        else counts.delete(entity.name);
      }
      return;
    }
    const ids = await restoreWhere(tx, this.registry, entity, sql`${c(entity.table.id)} = ${current.id}::uuid`, info);
    if (!ids.length) throw new ParentDeletedError(entity.name, "(a parent)", "parent", current.id);
    if (!isTarget) counts.set(entity.name, (counts.get(entity.name) ?? 0) + 1);
    const opId = fresh.deletionOperationId as string | null;
    if (opId) {
      for (const [k, n] of await cascadeRestore(tx, this.registry, entity, ids, opId, info))
        counts.set(k, (counts.get(k) ?? 0) + n);
    }
  }

  /**
   * Irreversibly removes a soft-deleted row with its (deleted) dependants, children first, leaving one
   * HARD_DELETE audit entry per removed row. The only hard-delete path of the application.
   * @throws NOT_DELETED for a live row; RESTRICTED when a live row still depends on it.
   */
  async hardDelete(type: string, ctx: OperationContext, id: string): Promise<HardDeleteResult> {
    const entity = this.registry.entity(type);
    return this.withOperation(ctx, {}, async (tx, info) => {
      const current = await this.lockRow(tx, entity, ctx, id);
      if (!current.deletedAt) throw new NotDeletedError(entity.name, id, "hard-delete");
      const counts = await this.removeSubtrees(tx, entity, [id], info, "HARD_DELETE");
      return { id, operationId: info.operationId, deleted: countsToList(counts) };
    });
  }

  /**
   * Deletes rows and everything that depends on them over CASCADE/RESTRICT relations, children first.
   * Refuses (RESTRICTED) when any dependant is live.
   */
  async removeSubtrees(
    tx: Database,
    root: Entity,
    rootIds: string[],
    info: AuditInfo,
    action: "HARD_DELETE" | "PURGE",
  ): Promise<Counts> {
    const collected = new Map<string, Set<string>>([[root.name, new Set(rootIds)]]);
    let frontier = new Map<string, string[]>([[root.name, rootIds]]);
    while (frontier.size) {
      const next = new Map<string, string[]>();
      for (const [parentName, parentIds] of frontier) {
        for (const rel of this.registry.childrenOf(parentName)) {
          if (rel.policy !== "CASCADE" && rel.policy !== "RESTRICT") continue;
          const child = this.registry.entity(rel.child);
          const found = await rows<{ id: string; live: boolean }>(
            tx,
            sql`SELECT id, ${live(child.table)} AS live FROM ${t(child)}
                WHERE ${inOrganization(child.table, info.ctx.organizationId)} AND ${c(rel.column)} = ANY(${uuidArray(parentIds)})
                FOR UPDATE`,
          );
          const liveCount = found.filter((r) => r.live).length;
          if (liveCount)
            throw new RestrictedError(
              `cannot hard-delete: ${liveCount} live ${child.name} row(s) depend on it through ${rel.name}`,
              {
                relation: rel.name,
                type: child.name,
                count: liveCount,
              },
            );
          const seen = collected.get(child.name) ?? new Set<string>();
          collected.set(child.name, seen);
          const fresh = found.map((r) => r.id).filter((x) => !seen.has(x));
          for (const x of fresh) seen.add(x);
          if (fresh.length) next.set(child.name, [...(next.get(child.name) ?? []), ...fresh]);
        }
      }
      frontier = next;
    }
    const counts: Counts = new Map();
    for (const entity of this.registry.deletionOrder()) {
      const ids = [...(collected.get(entity.name) ?? [])];
      if (!ids.length) continue;
      const gone = await rows<{ id: string }>(
        tx,
        sql`WITH gone AS (DELETE FROM ${t(entity)} WHERE id = ANY(${uuidArray(ids)}) AND ${c(entity.table.organizationId)} = ${info.ctx.organizationId} RETURNING id),
            audit AS (${auditFrom("gone", action, entity.name, info, [])})
            SELECT id FROM gone`,
      );
      counts.set(entity.name, gone.length);
    }
    return counts;
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b;
}

export type { Row, Visibility, OperationContext };
