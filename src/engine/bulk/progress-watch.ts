/**
 * Shared watches of bulk operations: however many subscribers follow one operation, each progress event costs one
 * read of its row, whose state every subscriber then gets (2,000 subscriptions used to make 2,000 reads per batch
 * and cut a bulk restore from ~6,000 to 570 rows/s).
 *
 * Invariants: a subscriber sees the latest state read after it subscribed (states in between may be skipped: a
 * progress state replaces the previous one), and a read never overlaps another of the same watch; an event during a
 * read asks for one more read after it. A missed notification costs at most RESYNC_MS, once per watch.
 */
import type { Database } from "../../db/database.js";
import { runAs, type TenantScope } from "../../db/tenant-scope.js";
import type { BulkEvents } from "./events.js";
import { getOperation } from "./store.js";
import { TERMINAL, type BulkOperation } from "./types.js";

/** How long a watch waits for an event before it reads the row anyway (a reconnecting listener may miss one). */
const RESYNC_MS = 5000;

/** What a read gave: the row, undefined when there is none in the organization, or the error it failed with. */
type Reading = { op: BulkOperation | undefined } | { error: unknown };

interface Subscriber {
  next: Reading | undefined;
  wake: (() => void) | undefined;
}

interface Watch {
  subscribers: Set<Subscriber>;
  reading: boolean;
  again: boolean;
  off: () => void;
  timer: NodeJS.Timeout | undefined;
  /** Whom its reads act for under row-level security (its organization). */
  scope: TenantScope | undefined;
}

export class ProgressWatches {
  private readonly watches = new Map<string, Watch>();

  constructor(
    private readonly db: Database,
    private readonly events: BulkEvents,
  ) {}

  /** Subscribers currently following operation `id` of `organizationId` (tests, metrics). */
  subscribers(organizationId: string, id: string): number {
    return this.watches.get(`${organizationId}:${id}`)?.subscribers.size ?? 0;
  }

  /**
   * The operation's states: the current one first, then one per change read, ending after a terminal state.
   * Ends with no state when the organization has no such operation (the caller decides what that means); throws
   * the error of a failed read. Not a generator: `return()` (the client unsubscribed) ends it at once, even while it
   * waits for the next event, so the subscriber is gone without waiting for another read.
   */
  watch(organizationId: string, id: string, scope?: TenantScope): AsyncIterableIterator<BulkOperation> {
    const key = `${organizationId}:${id}`;
    let watch = this.watches.get(key);
    if (!watch) {
      const created: Watch = {
        subscribers: new Set(),
        reading: false,
        again: false,
        off: () => {},
        timer: undefined,
        scope,
      };
      created.off = this.events.onProgress(id, () => this.read(key, created, organizationId, id));
      this.watches.set(key, (watch = created));
    }
    const w = watch;
    const me: Subscriber = { next: undefined, wake: undefined };
    let done = false;
    const finish = (): IteratorReturnResult<undefined> => {
      if (!done) {
        done = true;
        w.subscribers.delete(me);
        me.wake?.();
        if (!w.subscribers.size && this.watches.get(key) === w) {
          this.watches.delete(key);
          w.off();
          clearTimeout(w.timer);
        }
      }
      return { done: true, value: undefined };
    };
    w.subscribers.add(me);
    // Its first state: joins a read that starts now (or the one after a read in flight).
    this.read(key, w, organizationId, id);
    const iterator: AsyncIterableIterator<BulkOperation> = {
      next: async () => {
        while (!done && !me.next) await new Promise<void>((resolve) => (me.wake = resolve));
        if (done) return { done: true, value: undefined };
        const reading = me.next!;
        me.next = undefined;
        if ("error" in reading) {
          finish();
          throw reading.error;
        }
        if (!reading.op) return finish();
        if (TERMINAL.includes(reading.op.status)) finish();
        return { done: false, value: reading.op };
      },
      return: async () => finish(),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  private read(key: string, watch: Watch, organizationId: string, id: string): void {
    if (watch.reading) {
      watch.again = true;
      return;
    }
    watch.reading = true;
    clearTimeout(watch.timer);
    // Events arrive in whichever async context: the read enters its tenant's scope itself.
    void runAs(watch.scope, () => getOperation(this.db, id, organizationId))
      .then(
        (op): Reading => ({ op }),
        (error: unknown): Reading => ({ error }),
      )
      .then((reading) => {
        for (const s of watch.subscribers) {
          s.next = reading;
          s.wake?.();
          s.wake = undefined;
        }
        watch.reading = false;
        if (this.watches.get(key) !== watch) return;
        if (watch.again) {
          watch.again = false;
          this.read(key, watch, organizationId, id);
        } else watch.timer = setTimeout(() => this.read(key, watch, organizationId, id), RESYNC_MS).unref();
      });
  }
}
