/** Rejections a test expects: the engine's typed errors and the PostgreSQL error behind drizzle's wrapper. */
import { expect } from "vitest";
import { EngineError } from "../../src/engine/errors.js";
import { pgError } from "../../src/engine/pg-errors.js";

/** The rejection of `p`, which must be an EngineError. */
export async function engineError(p: Promise<unknown>): Promise<EngineError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EngineError);
  return err as EngineError;
}

/** The rejection of `p` (a raw statement), with the PostgreSQL error behind drizzle's wrapper. */
export async function dbError(p: Promise<unknown>) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeDefined();
  return pgError(err);
}
