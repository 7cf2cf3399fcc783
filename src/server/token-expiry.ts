/**
 * A stream authenticated once lives no longer than its token: a WebSocket is closed (4401) when the token of its
 * `connection_init` expires, an event-stream subscription ends with an UNAUTHENTICATED error. Without this a
 * client whose access was revoked by expiry would keep receiving events for as long as it kept the socket open.
 */
import type { ExecutionResult } from "graphql";
import { UnauthenticatedError } from "../engine/errors.js";
import { toGraphQLError } from "../graphql/errors.js";

/** setTimeout fires at once for a delay beyond 2^31 - 1 ms (~24.8 days); longer waits are taken in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Calls `fn` once at `at` (ms since the epoch), or soon if that has passed; the timer keeps no process alive.
 * @returns a cancel function (idempotent).
 * @example const cancel = atTime(viewer.expiresAt, () => socket.close(4401, "…")); socket.once("close", cancel);
 */
export function atTime(at: number, fn: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const left = Math.max(0, at - Date.now());
    timer = left > MAX_DELAY_MS ? setTimeout(arm, MAX_DELAY_MS) : setTimeout(fn, left);
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}

/** The reason a WebSocket is closed with (4401) when its token expires; at most 123 bytes, as close reasons are. */
export const EXPIRED_CLOSE_REASON = "UNAUTHENTICATED: the token expired; connect again with a new one";

/**
 * `result` (a subscription's event stream, or a single result passed through), ended at `expiresAt`: the next
 * read after then yields one UNAUTHENTICATED error, as an expired token gets over HTTP, and the stream completes.
 * Not a generator, like `subscribeSafely`: `return()` reaches the source at once, even while it waits.
 */
export function endAtExpiry<R extends AsyncIterableIterator<ExecutionResult> | ExecutionResult>(
  result: R,
  expiresAt: number | undefined,
): R | AsyncIterableIterator<ExecutionResult> {
  if (expiresAt === undefined || !(Symbol.asyncIterator in result)) return result;
  const source = result as AsyncIterableIterator<ExecutionResult>;
  let finished = false;
  let expired = false;
  let onExpiry!: () => void;
  const expiry = new Promise<"expired">((resolve) => (onExpiry = () => resolve("expired")));
  const cancel = atTime(expiresAt, () => {
    expired = true;
    onExpiry();
  });
  const finish = () => {
    finished = true;
    cancel();
  };
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    next: async () => {
      if (finished) return { done: true, value: undefined };
      if (!expired) {
        const step = await Promise.race([source.next(), expiry]);
        if (step !== "expired") {
          if (step.done) finish();
          return step;
        }
      }
      finish();
      void source.return?.();
      return { done: false, value: { errors: [toGraphQLError(new UnauthenticatedError("expired"))] } };
    },
    return: async () => {
      finish();
      await source.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
