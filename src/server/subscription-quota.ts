/**
 * Caps on running subscriptions, per WebSocket connection and per caller (organization and token subject, over
 * every transport of this instance): 2,000 subscriptions on one socket used to slow every tenant. A refused
 * subscription is answered LIMIT_EXCEEDED; the connection and its other operations carry on.
 *
 * Invariant: every admitted subscription is released exactly once (the release function ignores later calls).
 */
import type { Viewer } from "../graphql/context.js";
import { LimitExceededError } from "../graphql/errors.js";

export interface SubscriptionLimits {
  /** Subscriptions one WebSocket may run at once (WS_MAX_SUBSCRIPTIONS_PER_CONNECTION). */
  perConnection: number;
  /** Subscriptions one subject may run at once (MAX_SUBSCRIPTIONS_PER_SUBJECT). */
  perSubject: number;
}

/** A connection's running subscriptions (one per WebSocket; SSE requests have none of their own). */
export type ConnectionCount = { subscriptions: number };

export class SubscriptionQuota {
  private readonly perSubject = new Map<string, number>();

  constructor(private readonly limits: SubscriptionLimits) {}

  /**
   * Admits one subscription of `viewer` (on `connection`, for a WebSocket).
   * @returns the function that releases it.
   * @throws LimitExceededError when a cap is reached.
   */
  admit(viewer: Viewer, connection?: ConnectionCount): () => void {
    const key = `${viewer.organizationId}\u0000${viewer.subject}`;
    if (connection && connection.subscriptions >= this.limits.perConnection)
      throw new LimitExceededError(
        "WS_MAX_SUBSCRIPTIONS_PER_CONNECTION",
        `at most ${this.limits.perConnection} subscriptions per connection (WS_MAX_SUBSCRIPTIONS_PER_CONNECTION)`,
      );
    const held = this.perSubject.get(key) ?? 0;
    if (held >= this.limits.perSubject)
      throw new LimitExceededError(
        "MAX_SUBSCRIPTIONS_PER_SUBJECT",
        `at most ${this.limits.perSubject} subscriptions per caller (MAX_SUBSCRIPTIONS_PER_SUBJECT)`,
      );
    this.perSubject.set(key, held + 1);
    if (connection) connection.subscriptions++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (connection) connection.subscriptions--;
      const left = (this.perSubject.get(key) ?? 1) - 1;
      if (left > 0) this.perSubject.set(key, left);
      else this.perSubject.delete(key);
    };
  }
}
