/**
 * The scheduled retention purge (PURGE_INTERVAL): a real purge of every organization, again and again.
 * Runs never overlap within the process (the next one is scheduled when the previous ends), and across
 * instances the purge lock lets one run at a time: an instance that finds it taken skips its turn.
 */
import type { Maintenance } from "../engine/maintenance.js";
import type { PurgeReport } from "../engine/retention.js";

export interface SchedulerLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PurgeSchedulerOptions {
  /** Milliseconds between the end of one run and the start of the next; 0 never runs. */
  intervalMs: number;
  /**
   * Delay of the first run. Not a whole interval: an instance restarted more often than the interval would
   * otherwise never purge. @default a random delay up to min(interval, 60 s), so instances started together
   * do not all reach for the lock at once
   */
  firstDelayMs?: number;
  log?: SchedulerLog;
  /** Called after every run (tests, metrics). */
  onReport?: (report: PurgeReport) => void;
}

export class PurgeScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private stopped = true;

  constructor(
    private readonly maintenance: Maintenance,
    private readonly options: PurgeSchedulerOptions,
  ) {}

  /** Starts the schedule; does nothing when the interval is 0 (PURGE_INTERVAL=off) or already started. */
  start(): void {
    if (this.options.intervalMs <= 0 || !this.stopped) return;
    this.stopped = false;
    this.schedule(this.options.firstDelayMs ?? Math.floor(Math.random() * Math.min(this.options.intervalMs, 60_000)));
  }

  /** Stops the schedule; a run in progress stops after its current batch (committed batches stay purged). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort?.abort();
    await this.running;
  }

  private schedule(delayMs: number) {
    this.timer = setTimeout(() => {
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.schedule(this.options.intervalMs);
      });
    }, delayMs);
    // The schedule alone never keeps the process alive.
    this.timer.unref();
  }

  private async runOnce(): Promise<void> {
    this.abort = new AbortController();
    try {
      const report = await this.maintenance.purgeExpired({ dryRun: false, signal: this.abort.signal });
      this.options.onReport?.(report);
      if (report.alreadyRunning) this.options.log?.info({}, "scheduled purge skipped: another purge is running");
      else
        this.options.log?.info(
          {
            operationId: report.operationId,
            purged: report.purged,
            skipped: report.skippedCount,
            batches: report.batches,
            interrupted: report.interrupted,
          },
          "scheduled purge done",
        );
    } catch (err) {
      // The next turn tries again; a failed batch rolled back whole.
      this.options.log?.error({ err }, "scheduled purge failed");
    } finally {
      this.abort = undefined;
    }
  }
}
