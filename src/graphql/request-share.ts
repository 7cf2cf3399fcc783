/**
 * One request's share of the database. graphql-js resolves a query's root fields concurrently, so 2,000 aliases of
 * a report would each take a pooled connection at once and starve every other tenant. The heavy fields (reports,
 * audit chain verification, deletion previews) run one at a time per request; the read compiler runs at most
 * COMPILED_STATEMENTS_AT_ONCE of a request's root statements at a time. Aliases and costs are bounded before
 * execution (limits.ts); this bounds what an admitted request holds.
 */

const queues = new WeakMap<object, Promise<unknown>>();

/** Runs `work` after every earlier heavy field of the same request (`ctx`) has settled. */
export function oneAtATime<T>(ctx: object, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(ctx) ?? Promise.resolve();
  const run = previous.then(work, work);
  queues.set(
    ctx,
    run.catch(() => undefined),
  );
  return run;
}

/** A request's compiled root statements in flight at once. */
export const COMPILED_STATEMENTS_AT_ONCE = 2;

/** `tasks` mapped by `work` with at most `limit` in flight, results in order. */
export async function mapLimited<T, R>(
  tasks: readonly T[],
  limit: number,
  work: (task: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await work(tasks[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}
