/**
 * Retention purge: hard-deletes rows soft-deleted longer ago than their type's retention, together with their
 * deleted dependants, children first, through the engine's `removeSubtrees`, which leaves one PURGE audit entry
 * per removed row (its id, who, when and why; never its content).
 *
 * Invariants kept here:
 * - A purge root goes with its whole subtree in one transaction (a batch of roots per transaction), so a purge
 *   interrupted mid-way never leaves a half-deleted subtree: a batch commits whole or not at all.
 * - No row is removed before its own type's retention has passed. A root whose subtree holds a live row, or a
 *   deleted row still within its own retention, is skipped and reported; the rest of its batch proceeds.
 * - Roots are the "top-most" expired rows: an expired row whose parent (over a CASCADE or RESTRICT relation,
 *   among the types being purged) is expired too goes with that parent, never on its own. So the real run and
 *   the dry run see the same roots, and a row is never counted twice.
 * - A dry run only reads: it walks the same subtrees without locking or deleting anything.
 */
import { randomUUID } from "node:crypto";
import { sql, type SQL } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { ALL_ORGANIZATIONS, runAs } from "../db/tenant-scope.js";
import { ensureActor } from "./actors.js";
import type { AuditInfo } from "./audit.js";
import type { OperationContext } from "./context.js";
import type { SoftDeleteEngine, TypeCount } from "./engine.js";
import { InvalidInputError } from "./errors.js";
import type { Entity, RelationDeclaration, Registry } from "./registry.js";
import { c, isUuid, rows, t, uuidArray } from "./sql.js";
import { lockAuditChain } from "./audit-chain.js";
import { deleted, inOrganization, live } from "./visibility.js";
import { inTransaction } from "./transaction.js";
import { translateDbError } from "./translate.js";

/** How long soft-deleted rows are kept before a purge may remove them. */
export interface RetentionPolicy {
  /** Days after deletion; 0 keeps deleted rows forever. @default 90 (HARD_DELETE_AFTER_DAYS) */
  defaultDays: number;
  /**
   * Per entity type, replacing `defaultDays` (RETENTION_DAYS_OVERRIDES).
   * @example { Task: 30, User: 365 }
   */
  overrides?: Readonly<Record<string, number>>;
}

/** The retention of `type` in days; 0 means forever. */
export function retentionDays(policy: RetentionPolicy, type: string): number {
  return policy.overrides?.[type] ?? policy.defaultDays;
}

/**
 * The condition "`deletedAt` is older than the retention of `entity`", measured from `now` (one instant for a
 * whole run). NULL for a live row (wrap it in COALESCE where a boolean is needed); FALSE when kept forever.
 * A single comparison, so the planner estimates it from the column's histogram.
 */
export function pastRetention(policy: RetentionPolicy, entity: Entity, deletedAt: SQL, now: SQL = sql`now()`): SQL {
  const days = retentionDays(policy, entity.name);
  if (days <= 0) return sql`FALSE`;
  return sql`${deletedAt} < ${now} - make_interval(days => ${days}::int)`;
}

/** Why a root was left alone. */
export type SkipReason = "LIVE_DEPENDANT" | "RETAINED_DEPENDANT";

export interface PurgeSkip {
  type: string;
  id: string;
  organizationId: string;
  /** LIVE_DEPENDANT: a live row depends on it. RETAINED_DEPENDANT: a dependant is within its own retention. */
  reason: SkipReason;
  dependantType: string;
  dependantId: string;
}

export interface PurgeProgress {
  /** The root type being worked on. */
  type: string;
  rootsDone: number;
  rootsTotal: number;
  /** Rows removed so far (would be removed, on a dry run), roots and dependants. */
  rowsPurged: number;
}

export interface PurgeRun {
  /** Count what would go, change nothing. */
  dryRun: boolean;
  /** Only roots of this entity type (with their subtrees). @default every type */
  type?: string | undefined;
  /** Only this organization. @default every organization (the CLI and the scheduled purge) */
  organizationId?: string | undefined;
  /** The subject recorded as the purging actor, e.g. the caller's or "system:retention". */
  actor: string;
  requestId?: string | undefined;
  /** Roots per transaction. @default 500 (PURGE_BATCH_SIZE) */
  batchSize: number;
  /** Stops the run between batches (committed batches stay committed). */
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: PurgeProgress) => void | Promise<void>) | undefined;
  /** Most skipped roots listed in the report (all are counted). @default 100 */
  maxSkipsListed?: number | undefined;
}

export interface PurgeReport {
  dryRun: boolean;
  /** True when another purge held the lock: nothing was done. */
  alreadyRunning: boolean;
  /** True when the run was stopped between batches; committed batches stay purged. */
  interrupted: boolean;
  /** Shared by every PURGE audit entry of the run; null on a dry run or when nothing ran. */
  operationId: string | null;
  startedAt: Date;
  finishedAt: Date;
  /** Rows removed (on a dry run: that would be removed) per type, dependants included. */
  purged: TypeCount[];
  /** Skipped roots (at most `maxSkipsListed`). */
  skipped: PurgeSkip[];
  skippedCount: number;
  batches: number;
}

const DEFAULT_MAX_SKIPS = 100;

/** The relations a purge walks: the ones `removeSubtrees` follows. */
const walked = (r: RelationDeclaration) => r.policy === "CASCADE" || r.policy === "RESTRICT";

/** The report of a run that did not start because another purge holds the lock. */
export function alreadyRunningReport(dryRun: boolean): PurgeReport {
  const now = new Date();
  return {
    dryRun,
    alreadyRunning: true,
    interrupted: false,
    operationId: null,
    startedAt: now,
    finishedAt: now,
    purged: [],
    skipped: [],
    skippedCount: 0,
    batches: 0,
  };
}

/**
 * Hard-deletes (or, with `dryRun`, counts) the rows past their retention, in batches of `batchSize` roots, one
 * transaction each. It takes no lock itself: callers that must run alone take one first (see Maintenance).
 * @throws BAD_USER_INPUT for an unknown type, a malformed organization id or batch size.
 */
export async function purgeExpired(
  engine: SoftDeleteEngine,
  policy: RetentionPolicy,
  run: PurgeRun,
): Promise<PurgeReport> {
  // Every organization's purge (the scheduler, npm run purge) is the narrow maintenance path of row-level
  // security (src/db/tenant-scope.ts); one organization's acts for it alone (the caller's scope).
  if (run.organizationId === undefined && engine.rowLevelSecurity)
    return runAs(ALL_ORGANIZATIONS, () => purge(engine, policy, run));
  return purge(engine, policy, run);
}

async function purge(engine: SoftDeleteEngine, policy: RetentionPolicy, run: PurgeRun): Promise<PurgeReport> {
  const startedAt = new Date();
  checkRun(engine.registry, run);
  const plan = await planPurge(engine, policy, run);
  const purge: Purge = {
    engine,
    policy,
    run,
    plan,
    operationId: randomUUID(),
    actorIds: await purgeActors(engine, run, plan.organizations),
    // On a dry run nothing disappears between batches, so a row reachable from two roots (a task's assignment of
    // a user, both expired) would be counted twice: remember the rows of types reachable over two paths.
    seen: run.dryRun
      ? new Map([...multiPathTypes(engine.registry)].map((name) => [name, new Set<string>()]))
      : undefined,
  };

  const purged = new Map<string, number>();
  const skipped: PurgeSkip[] = [];
  const maxSkips = run.maxSkipsListed ?? DEFAULT_MAX_SKIPS;
  let skippedCount = 0;
  let batches = 0;
  let rootsDone = 0;
  let interrupted = false;
  outer: for (const entity of plan.rootTypes) {
    let after: { at: string; id: string } | undefined;
    for (;;) {
      if (run.signal?.aborted) {
        interrupted = true;
        break outer;
      }
      const result = await purgeBatch(purge, entity, after);
      const last = result.found.at(-1);
      if (!last) break;
      after = { at: last.at, id: last.id };
      batches++;
      rootsDone += result.found.length;
      for (const [type, n] of result.counts) add(purged, type, n);
      skippedCount += result.blocked.length;
      for (const s of result.blocked) if (skipped.length < maxSkips) skipped.push(s);
      await run.onProgress?.({
        type: entity.name,
        rootsDone,
        rootsTotal: Math.max(plan.rootsTotal, rootsDone),
        rowsPurged: sum(purged),
      });
    }
  }

  if (!run.dryRun && sum(purged) > 0) await forgetDetachments(engine.db, engine.registry);
  return {
    dryRun: run.dryRun,
    alreadyRunning: false,
    interrupted,
    operationId: run.dryRun ? null : purge.operationId,
    startedAt,
    finishedAt: new Date(),
    purged: engine.registry
      .deletionOrder()
      .filter((e) => purged.has(e.name))
      .map((e) => ({ type: e.name, count: purged.get(e.name)! })),
    skipped,
    skippedCount,
    batches,
  };
}

/** @throws BAD_USER_INPUT for an unknown type, a malformed organization id or a bad batch size. */
function checkRun(registry: Registry, run: PurgeRun) {
  if (run.type !== undefined && !registry.entities.has(run.type))
    throw new InvalidInputError("type", `type must be one of ${[...registry.entities.keys()].join(", ")}`, run.type);
  if (run.organizationId !== undefined && !isUuid(run.organizationId))
    throw new InvalidInputError("organizationId", "organizationId must be a uuid", run.organizationId);
  if (!Number.isInteger(run.batchSize) || run.batchSize < 1)
    throw new InvalidInputError("batchSize", "batchSize must be a whole number of at least 1", run.batchSize);
}

/** What a run purges: its root types (parents last), which rows are candidates, and how many there are. */
interface PurgePlan {
  rootTypes: Entity[];
  expired: (entity: Entity, deletedAt: SQL) => SQL;
  candidates: (entity: Entity) => SQL;
  rootsTotal: number;
  organizations: Set<string>;
}

async function planPurge(engine: SoftDeleteEngine, policy: RetentionPolicy, run: PurgeRun): Promise<PurgePlan> {
  const registry = engine.registry;
  // One clock for the whole run: a row does not become expired halfway through.
  const [clock] = await rows<{ now: string }>(engine.db, sql`SELECT now()::text AS now`);
  const now = sql`${clock!.now}::timestamptz`;
  const expired = (entity: Entity, deletedAt: SQL) => pastRetention(policy, entity, deletedAt, now);
  const rootTypes = (run.type ? [registry.entity(run.type)] : registry.deletionOrder().reverse()).filter(
    (e) => retentionDays(policy, e.name) > 0,
  );
  const inRun = new Set(rootTypes.map((e) => e.name));
  const candidates = (entity: Entity) => candidateCondition(registry, entity, inRun, run.organizationId, expired);

  let rootsTotal = 0;
  const organizations = new Set<string>();
  for (const entity of rootTypes) {
    const perOrg = await rows<{ org: string; n: number }>(
      engine.db,
      sql`SELECT r.${c(entity.table.organizationId)} AS org, count(*)::int AS n FROM ${t(entity)} AS r
          WHERE ${candidates(entity)} GROUP BY 1`,
    );
    for (const { org, n } of perOrg) {
      organizations.add(org);
      rootsTotal += n;
    }
  }
  return { rootTypes, expired, candidates, rootsTotal, organizations };
}

/**
 * The purging actor of each organization, resolved before any batch transaction: actor rows are committed on their
 * own (and on PGlite, the one connection is the transaction's until it ends). None on a dry run.
 */
async function purgeActors(
  engine: SoftDeleteEngine,
  run: PurgeRun,
  organizations: Set<string>,
): Promise<Map<string, string>> {
  const actorIds = new Map<string, string>();
  if (!run.dryRun)
    for (const org of organizations) actorIds.set(org, await engine.operations.actorOf(contextOf(run, org)));
  return actorIds;
}

const contextOf = (run: PurgeRun, organizationId: string): OperationContext => ({
  organizationId,
  actor: run.actor,
  requestId: run.requestId,
});

/** One purge run in progress. */
interface Purge {
  engine: SoftDeleteEngine;
  policy: RetentionPolicy;
  run: PurgeRun;
  plan: PurgePlan;
  /** Shared by every PURGE audit entry of the run. */
  operationId: string;
  actorIds: Map<string, string>;
  seen: Map<string, Set<string>> | undefined;
}

/**
 * One batch: up to `batchSize` candidate roots of `entity` after `after` (in deletion order), each purged with its
 * subtree unless a live dependant blocks it (then skipped), in one transaction. A dry run counts instead.
 */
async function purgeBatch(p: Purge, entity: Entity, after: { at: string; id: string } | undefined) {
  const { engine, run, plan } = p;
  const registry = engine.registry;
  const batch = async (db: Database) => {
    const select = (lock: boolean) =>
      rows<{ id: string; org: string; at: string }>(
        db,
        sql`SELECT r.id, r.${c(entity.table.organizationId)} AS org, r.${c(entity.table.deletedAt)}::text AS at
          FROM ${t(entity)} AS r
          WHERE ${plan.candidates(entity)}
            ${after ? sql`AND (r.${c(entity.table.deletedAt)}, r.id) > (${after.at}::timestamptz, ${after.id}::uuid)` : sql``}
          ORDER BY r.${c(entity.table.deletedAt)}, r.id LIMIT ${run.batchSize}
          ${lock ? sql`FOR UPDATE OF r` : sql``}`,
      );
    // Lock order (see lockAuditChain): the batch's organizations' audit chains, then its rows.
    if (!run.dryRun) await lockAuditChain(db, ...(await select(false)).map((r) => r.org));
    const found = await select(!run.dryRun);
    const counts = new Map<string, number>();
    const blocked: PurgeSkip[] = [];
    for (const [org, ids] of groupBy(found, (r) => r.org)) {
      const walk = await walkSubtrees(db, registry, entity, ids, org, plan.expired, !run.dryRun);
      blocked.push(...walk.blocked.values());
      const good = ids.filter((id) => !walk.blocked.has(id));
      if (!good.length) continue;
      if (run.dryRun) {
        for (const [type, n] of walk.countReachable(good, p.seen)) add(counts, type, n);
      } else {
        const info = await auditInfo(p, db, org, entity);
        for (const [type, n] of await engine.removeSubtrees(db, entity, good, info, "PURGE")) add(counts, type, n);
      }
    }
    return { found, counts, blocked };
  };
  try {
    return run.dryRun ? await batch(engine.db) : await inTransaction(engine.db, batch);
  } catch (err) {
    throw translateDbError(registry, err);
  }
}

async function auditInfo(p: Purge, tx: Database, organizationId: string, entity: Entity): Promise<AuditInfo> {
  const ctx = contextOf(p.run, organizationId);
  // An organization whose first candidate appeared after planning gets its actor here, inside the batch.
  const actorId = p.actorIds.get(organizationId) ?? (await ensureActor(tx, p.engine.registry, ctx));
  const days = retentionDays(p.policy, entity.name);
  return { ctx, actorId, operationId: p.operationId, reason: `retention: deleted more than ${days} days ago` };
}

/**
 * The rows of `entity` (aliased `r`) that are purge roots: past retention, in scope, and with no parent among
 * the purged types that is past its own retention (such a row goes with that parent).
 */
function candidateCondition(
  registry: Registry,
  entity: Entity,
  inRun: Set<string>,
  organizationId: string | undefined,
  expired: (entity: Entity, deletedAt: SQL) => SQL,
): SQL {
  const tb = entity.table;
  const parts: SQL[] = [deleted(tb, "r"), expired(entity, sql`r.${c(tb.deletedAt)}`)];
  if (organizationId) parts.push(inOrganization(tb, organizationId, "r"));
  for (const rel of registry.parentsOf(entity.name)) {
    if (!walked(rel) || !inRun.has(rel.parent)) continue;
    const parent = registry.entity(rel.parent);
    parts.push(sql`NOT EXISTS (SELECT 1 FROM ${t(parent)} AS p
      WHERE p.id = r.${c(rel.column)} AND ${expired(parent, sql`p.${c(parent.table.deletedAt)}`)})`);
  }
  return sql.join(parts, sql` AND `);
}

interface Walk {
  /** Roots that must stay, by root id. */
  blocked: Map<string, PurgeSkip>;
  /** Rows per type reachable from `good` roots (roots included), minus those in `seen` (which it extends). */
  countReachable(good: string[], seen: Map<string, Set<string>> | undefined): Map<string, number>;
}

/**
 * Walks the subtrees of `roots` (rows of `root` in one organization) over CASCADE and RESTRICT relations,
 * remembering which roots reach each row, and finds the roots that must be skipped: those reaching a live
 * row or one still within its own retention. With `lock`, every row read is locked FOR UPDATE.
 */
async function walkSubtrees(
  db: Database,
  registry: Registry,
  root: Entity,
  roots: string[],
  organizationId: string,
  expired: (entity: Entity, deletedAt: SQL) => SQL,
  lock: boolean,
): Promise<Walk> {
  /** type → row id → the roots that reach it. */
  const reach = new Map<string, Map<string, Set<string>>>([
    [root.name, new Map(roots.map((id) => [id, new Set([id])]))],
  ]);
  const bad = new Map<string, { reason: SkipReason; type: string; id: string }>();
  const blocked = new Map<string, PurgeSkip>();
  const block = (rootIds: Iterable<string>, why: { reason: SkipReason; type: string; id: string }) => {
    for (const r of rootIds)
      if (!blocked.has(r))
        blocked.set(r, {
          type: root.name,
          id: r,
          organizationId,
          reason: why.reason,
          dependantType: why.type,
          dependantId: why.id,
        });
  };
  let frontier = new Map<string, Set<string>>([[root.name, new Set(roots)]]);
  while (frontier.size) {
    const next = new Map<string, Set<string>>();
    for (const [parentName, parentIds] of frontier) {
      const parentReach = reach.get(parentName)!;
      for (const rel of registry.childrenOf(parentName)) {
        if (!walked(rel)) continue;
        const child = registry.entity(rel.child);
        const dAt = c(child.table.deletedAt);
        const found = await rows<{ id: string; parent: string; live: boolean; expired: boolean }>(
          db,
          sql`SELECT id, ${c(rel.column)} AS parent, ${live(child.table)} AS live, COALESCE(${expired(child, dAt)}, FALSE) AS expired
              FROM ${t(child)}
              WHERE ${inOrganization(child.table, organizationId)} AND ${c(rel.column)} = ANY(${uuidArray([...parentIds])})
              ${lock ? sql`FOR UPDATE` : sql``}`,
        );
        let childReach = reach.get(child.name);
        if (!childReach) reach.set(child.name, (childReach = new Map()));
        for (const r of found) {
          const from = parentReach.get(r.parent);
          if (!from) continue;
          const key = `${child.name}:${r.id}`;
          let set = childReach.get(r.id);
          const before = set?.size ?? 0;
          if (!set) childReach.set(r.id, (set = new Set()));
          for (const x of from) set.add(x);
          if (!r.live && !r.expired && !bad.has(key))
            bad.set(key, { reason: "RETAINED_DEPENDANT", type: child.name, id: r.id });
          if (r.live && !bad.has(key)) bad.set(key, { reason: "LIVE_DEPENDANT", type: child.name, id: r.id });
          const why = bad.get(key);
          if (why) {
            block(set, why);
            continue; // nothing below a row that stays can go
          }
          // Walk on from rows seen for the first time, and again from rows that more roots now reach.
          if (set.size > before) {
            let ids = next.get(child.name);
            if (!ids) next.set(child.name, (ids = new Set()));
            ids.add(r.id);
          }
        }
      }
    }
    frontier = next;
  }
  return {
    blocked,
    countReachable(good, seen) {
      const goodSet = new Set(good);
      const counts = new Map<string, number>();
      for (const [type, byId] of reach) {
        const remembered = seen?.get(type);
        for (const [id, from] of byId) {
          if (bad.has(`${type}:${id}`) || ![...from].some((r) => goodSet.has(r))) continue;
          if (remembered) {
            if (remembered.has(id)) continue;
            remembered.add(id);
          }
          add(counts, type, 1);
        }
      }
      return counts;
    },
  };
}

/** Types a row of which can be reached from two different roots (two walked parent relations, or below one). */
function multiPathTypes(registry: Registry): Set<string> {
  const out = new Set<string>();
  let changed = true;
  while (changed) {
    changed = false;
    for (const name of registry.entities.keys()) {
      if (out.has(name)) continue;
      const parents = registry.parentsOf(name).filter((r) => walked(r) && r.parent !== name);
      if (parents.length > 1 || parents.some((r) => out.has(r.parent))) {
        out.add(name);
        changed = true;
      }
    }
  }
  return out;
}

/** Drops the DETACH bookkeeping of rows that no longer exist: those references can never be re-attached. */
async function forgetDetachments(db: Database, registry: Registry): Promise<void> {
  for (const rel of registry.relations) {
    if (rel.policy !== "DETACH") continue;
    const parent = registry.entity(rel.parent);
    const child = registry.entity(rel.child);
    await db.execute(
      sql`DELETE FROM detachments d WHERE d.relation = ${rel.name}
          AND (NOT EXISTS (SELECT 1 FROM ${t(parent)} p WHERE p.id = d.parent_id)
            OR NOT EXISTS (SELECT 1 FROM ${t(child)} ch WHERE ch.id = d.child_id))`,
    );
  }
}

/** Ids grouped by `key`. */
function groupBy<T extends { id: string }>(items: T[], key: (item: T) => string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k) ?? [];
    list.push(item.id);
    out.set(k, list);
  }
  return out;
}

const add = (m: Map<string, number>, k: string, n: number) => n && m.set(k, (m.get(k) ?? 0) + n);
const sum = (m: Map<string, number>) => [...m.values()].reduce((a, n) => a + n, 0);
