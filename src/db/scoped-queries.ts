/**
 * Makes a driver's statements outside transactions act for the current tenant scope (see tenant-scope.ts):
 * one simple-protocol round trip on PostgreSQL, a transaction on PGlite. Transactions (a pool checkout, a PGlite
 * transaction) are left alone: they enter their scope themselves.
 */
import type { PGlite } from "@electric-sql/pglite";
import pg, { type Pool, type QueryConfig, type QueryResult } from "pg";
import { prepareValue } from "pg/lib/utils.js";
import { currentTenant, scopeStatement } from "./tenant-scope.js";

/** A parameter as a SQL literal: the same text node-postgres would send for it, quoted (or NULL). */
function literal(value: unknown): string {
  const prepared: unknown = prepareValue(value);
  if (prepared === null || prepared === undefined) return "NULL";
  if (Buffer.isBuffer(prepared)) return `'\\x${prepared.toString("hex")}'`;
  return pg.escapeLiteral(String(prepared));
}

/**
 * `text` with `$n` replaced by `literal(values[n - 1])`, outside quoted strings and identifiers. An inlined
 * literal is of unknown type until context resolves it, as an untyped parameter is.
 */
export function inlineParameters(text: string, values: readonly unknown[]): string {
  let out = "";
  for (let i = 0; i < text.length;) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"') {
      // A quoted string or identifier, a doubled quote inside it included.
      let j = i + 1;
      while (j < text.length && !(text[j] === ch && text[j + 1] !== ch)) j += text[j] === ch ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (ch === "$" && /[0-9]/.test(text[i + 1] ?? "")) {
      let j = i + 1;
      while (/[0-9]/.test(text[j] ?? "")) j++;
      const n = Number(text.slice(i + 1, j));
      if (n < 1 || n > values.length) throw new RangeError(`parameter $${n} of ${values.length} in: ${text}`);
      out += literal(values[n - 1]);
      i = j;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

type QueryFn = (...args: unknown[]) => Promise<unknown>;

/** Wraps `pool.query` (promise form): in a tenant scope, the statement goes with its scope in one round trip. */
export function scopePoolQueries(pool: Pool): void {
  const query = pool.query.bind(pool) as QueryFn;
  pool.query = ((...args: unknown[]) => {
    const scope = currentTenant();
    const statement = scope && scopeStatement(scope);
    if (!statement || typeof args.at(-1) === "function") return query(...args);
    const first = args[0];
    const config: QueryConfig = typeof first === "string" ? { text: first } : { ...(first as QueryConfig) };
    const values = (Array.isArray(args[1]) ? args[1] : config.values) ?? [];
    const text = `${statement};\n${inlineParameters(config.text, values)}`;
    const { values: _values, name: _name, ...rest } = config;
    // Two statements answer with two results; the caller asked for the second.
    return query({ ...rest, text }).then((results) => (results as QueryResult[])[1]);
  }) as Pool["query"];
}

/** Wraps PGlite's `query`: in a tenant scope, the statement runs in a transaction that enters the scope first. */
export function scopePgliteQueries(client: PGlite): void {
  const query = client.query.bind(client) as QueryFn;
  client.query = ((...args: unknown[]) => {
    const scope = currentTenant();
    const statement = scope && scopeStatement(scope);
    if (!statement) return query(...args);
    return client.transaction(async (tx) => {
      await tx.exec(statement);
      return (tx.query as QueryFn)(...args);
    });
  }) as PGlite["query"];
}
