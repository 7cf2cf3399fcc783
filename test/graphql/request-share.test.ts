/** One request's share of the database: heavy fields one at a time, compiled statements a few at a time. */
import { describe, expect, test } from "vitest";
import { mapLimited, oneAtATime } from "../../src/graphql/request-share.js";

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("request share", () => {
  test("oneAtATime runs a request's heavy fields one after another, in call order, past failures; requests apart", async () => {
    const ctx = {};
    const other = {};
    let running = 0;
    let most = 0;
    const order: string[] = [];
    const work =
      (name: string, fail = false) =>
      async () => {
        running++;
        most = Math.max(most, running);
        await tick();
        order.push(name);
        running--;
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      oneAtATime(ctx, work("a")),
      oneAtATime(ctx, work("b", true)),
      oneAtATime(ctx, work("c")),
    ]);
    expect(most).toBe(1);
    expect(order).toEqual(["a", "b", "c"]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    // Another request does not wait for this one.
    most = 0;
    await Promise.all([oneAtATime(ctx, work("d")), oneAtATime(other, work("e"))]);
    expect(most).toBe(2);
  });

  test("mapLimited keeps at most `limit` in flight and returns results in order", async () => {
    let running = 0;
    let most = 0;
    const out = await mapLimited([5, 1, 4, 2, 3, 0], 2, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, n * 2));
      running--;
      return n * 10;
    });
    expect(most).toBe(2);
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(await mapLimited([], 2, async (n: number) => n)).toEqual([]);
  });
});
