/** Finds the PostgreSQL error behind drizzle's wrapper (`DrizzleQueryError.cause`) and reads its code. */
export interface PgErrorLike {
  code: string;
  constraint?: string;
  table?: string;
  column?: string;
  message: string;
}

export function pgError(err: unknown): PgErrorLike | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === "object"; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return e as PgErrorLike;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Serialization failure or deadlock: the transaction may simply be run again. */
export const isTransient = (err: unknown) => {
  const code = pgError(err)?.code;
  return code === "40001" || code === "40P01";
};
