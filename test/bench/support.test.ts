/** The benches' settings and arithmetic (bench/support/env.ts, databases.ts, stats.ts). */
import { afterEach, expect, test } from "vitest";
import { databaseUrl } from "../../bench/support/databases.js";
import { envInt } from "../../bench/support/env.js";
import { median, num, percentile } from "../../bench/support/stats.js";

afterEach(() => {
  delete process.env.SDG_TEST_KNOB;
});

test("envInt takes the fallback when unset or empty, and a whole number within its bounds", () => {
  expect(envInt("SDG_TEST_KNOB", 3, 1, 9)).toBe(3);
  process.env.SDG_TEST_KNOB = "";
  expect(envInt("SDG_TEST_KNOB", 3, 1, 9)).toBe(3);
  process.env.SDG_TEST_KNOB = "9";
  expect(envInt("SDG_TEST_KNOB", 3, 1, 9)).toBe(9);
});

test("envInt refuses a value out of bounds or not whole, naming the knob and the value", () => {
  for (const raw of ["0", "10", "2.5", "two"]) {
    process.env.SDG_TEST_KNOB = raw;
    expect(() => envInt("SDG_TEST_KNOB", 3, 1, 9)).toThrow(
      `SDG_TEST_KNOB must be a whole number from 1 to 9, but got "${raw}"`,
    );
  }
});

test("databaseUrl swaps the database name and refuses a server on another machine", () => {
  expect(databaseUrl("sdg_bench_x", "postgres://postgres@127.0.0.1:5432/postgres")).toBe(
    "postgres://postgres@127.0.0.1:5432/sdg_bench_x",
  );
  expect(() => databaseUrl("sdg_bench_x", "postgres://db.example.test/postgres", "BENCH_REPLICA_URL")).toThrow(
    "BENCH_REPLICA_URL must point at this machine (127.0.0.1), but got host db.example.test",
  );
});

test("median takes the middle value, or the mean of the middle two; num groups thousands", () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 3, 2])).toBe(2.5);
  expect(num(12345.678, 1)).toBe("12,345.7");
  expect(num(2)).toBe("2");
});

test("percentile takes the nearest rank: p50 and p99 of 1..10 are 5 and 10, of one value that value", () => {
  const values = [7, 3, 10, 1, 2, 9, 4, 8, 6, 5];
  expect(percentile(values, 50)).toBe(5);
  expect(percentile(values, 99)).toBe(10);
  expect(percentile(values, 10)).toBe(1);
  expect(percentile([42], 99)).toBe(42);
  expect(percentile([], 50)).toBeNaN();
});
