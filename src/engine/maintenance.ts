/**
 * The operator's side of the engine: the health report, the retention purge and erasure, with their settings.
 * One per process (built at start-up, shared by the API, the scheduler and the CLI).
 *
 * Invariant: at most one real purge runs at a time across every instance (an advisory lock on PostgreSQL,
 * in-process on PGlite); a purge that finds the lock taken does nothing and says so. Dry runs take no lock.
 */
import { tryLock } from "../db/advisory-lock.js";
import type { DatabaseHandle } from "../db/database.js";
import { ALL_ORGANIZATIONS, runAs } from "../db/tenant-scope.js";
import { defaultOf } from "../config/settings.js";
import type { OperationContext } from "./context.js";
import { notify } from "./observer.js";
import { DeclarationError, InvalidSettingError } from "./errors.js";
import type { SoftDeleteEngine } from "./engine.js";
import { erasePerson, type ErasureReport, type PersonalDataDeclaration } from "./erasure.js";
import { DEFAULT_HEALTH_THRESHOLDS, healthReport, type HealthReport, type HealthThresholds } from "./health.js";
import {
  alreadyRunningReport,
  purgeExpired,
  type PurgeReport,
  type PurgeRun,
  type RetentionPolicy,
} from "./retention.js";

/** Arbitrary but fixed: the advisory lock key of the retention purge (the migrations use another). */
export const PURGE_LOCK_KEY = 7_361_224_902;

/** The subject recorded for purges nobody asked for in person (the scheduler, the CLI). */
export const SYSTEM_PURGE_ACTOR = "system:retention";

export interface MaintenanceOptions {
  /** @default `{ defaultDays: defaultOf("HARD_DELETE_AFTER_DAYS") }` */
  retention?: RetentionPolicy;
  /** Roots per purge transaction. @default 500 */
  purgeBatchSize?: number;
  /** Milliseconds between scheduled purges; 0 = no scheduled purge. @default 0 */
  purgeIntervalMs?: number;
  health?: Partial<HealthThresholds>;
  /** Deepest cascade of an erased person's soft delete. @default `defaultOf("MAX_CASCADE_DEPTH")` */
  maxCascadeDepth?: number;
  /** Longest erasure reason . @default `defaultOf("MAX_REASON_LENGTH")` */
  maxReasonLength?: number;
  /** What erasure treats as personal data; without it, eraseUser is refused. */
  personalData?: PersonalDataDeclaration;
}

export type PurgeRequest = Omit<PurgeRun, "batchSize" | "actor"> & { actor?: string; batchSize?: number };

export class Maintenance {
  readonly retention: RetentionPolicy;
  readonly purgeBatchSize: number;
  readonly purgeIntervalMs: number;
  readonly thresholds: HealthThresholds;

  constructor(
    readonly engine: SoftDeleteEngine,
    readonly handle: DatabaseHandle,
    private readonly options: MaintenanceOptions = {},
  ) {
    this.retention = options.retention ?? { defaultDays: defaultOf("HARD_DELETE_AFTER_DAYS") };
    const declared = [...engine.registry.entities.keys()];
    for (const type of Object.keys(this.retention.overrides ?? {}))
      if (!declared.includes(type))
        throw new InvalidSettingError(
          "RETENTION_DAYS_OVERRIDES",
          `RETENTION_DAYS_OVERRIDES names ${JSON.stringify(type)}, which is no entity type; expected one of ${declared.join(", ")}`,
        );
    this.purgeBatchSize = options.purgeBatchSize ?? defaultOf("PURGE_BATCH_SIZE");
    this.purgeIntervalMs = options.purgeIntervalMs ?? 0;
    this.thresholds = { ...DEFAULT_HEALTH_THRESHOLDS, ...options.health };
  }

  /** The health report of every table the registry declares. */
  /**
   * The health report of one organization (its counts only), or of the whole database when
   * `organizationId` is undefined (operators only: the caller decides who is one).
   */
  healthReport(organizationId?: string): Promise<HealthReport> {
    // It reads the tables' statistics and filters rows itself: the narrow maintenance path of row-level security
    // (src/db/tenant-scope.ts), whoever asks.
    return runAs(this.engine.rowLevelSecurity ? ALL_ORGANIZATIONS : undefined, () =>
      healthReport(this.handle, this.engine.registry, {
        ...this.thresholds,
        organizationId,
        retention: this.retention,
        purgeScheduled: this.purgeIntervalMs > 0,
      }),
    );
  }

  /**
   * Purges (or, on a dry run, counts) the rows past retention. A real run first takes the purge lock; when
   * another purge holds it, returns at once with `alreadyRunning`.
   */
  async purgeExpired(request: PurgeRequest): Promise<PurgeReport> {
    const run: PurgeRun = {
      ...request,
      actor: request.actor ?? SYSTEM_PURGE_ACTOR,
      batchSize: request.batchSize ?? this.purgeBatchSize,
    };
    if (run.dryRun) return purgeExpired(this.engine, this.retention, run);
    const observer = this.engine.observer;
    const release = await tryLock(this.handle, PURGE_LOCK_KEY);
    if (!release) {
      notify(observer, "purge", { outcome: "alreadyRunning", purged: [] });
      return alreadyRunningReport(false);
    }
    try {
      const report = await purgeExpired(this.engine, this.retention, run);
      notify(observer, "purge", { outcome: report.interrupted ? "interrupted" : "done", purged: report.purged });
      return report;
    } catch (err) {
      notify(observer, "purge", { outcome: "failed", purged: [] });
      throw err;
    } finally {
      await release();
    }
  }

  /** The entity type erasure works on (the declared person), if erasure is configured. */
  get personType(): string | undefined {
    return this.options.personalData?.person;
  }

  /** Erases a person of the context's organization (see erasure.ts). */
  eraseUser(ctx: OperationContext, id: string, reason: string): Promise<ErasureReport> {
    const declaration = this.options.personalData;
    if (!declaration) throw new DeclarationError("no personal data declaration: erasure is not configured");
    return erasePerson(this.engine, declaration, ctx, id, reason, {
      maxCascadeDepth: this.options.maxCascadeDepth,
      ...(this.options.maxReasonLength ? { maxReasonLength: this.options.maxReasonLength } : {}),
    });
  }
}
