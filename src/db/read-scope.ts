/**
 * Which reads may be served by a replica. A scope is entered per request by the API (`allowStaleReads`), which
 * knows whether the request may see data a little behind the primary: a query may, a mutation may not. Code
 * below never decides it: anything outside a stale-tolerant scope (mutations, background work such as bulk
 * runners and the purge, scripts) reads from the primary.
 *
 * Invariant (read-your-writes): once a scope has written, or opened a transaction, every later read of that
 * scope goes to the primary.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface ReadScope {
  /** Reads of this scope may come from a replica. */
  staleOk: boolean;
  /** The scope sent a write or opened a transaction: its reads go to the primary from now on. */
  wrote: boolean;
}

const storage = new AsyncLocalStorage<ReadScope>();

/** Runs `work` (and everything it starts) in a scope whose reads may come from a replica, or not. */
export function withReadScope<T>(staleOk: boolean, work: () => T): T {
  return storage.run({ staleOk, wrote: false }, work);
}

/** The scope of the current async context, if any. */
export const currentReadScope = (): ReadScope | undefined => storage.getStore();
