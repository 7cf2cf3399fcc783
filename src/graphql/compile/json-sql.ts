/**
 * SQL expressions that print values exactly as the GraphQL serializers do, so an answer built by PostgreSQL is
 * byte-identical to one built by graphql-js: global ids (base64url of "Type:uuid", see ../ids.ts), cursors
 * (base64url of the JSON array [created_at as PostgreSQL prints it, id], see encodeCursor in engine/read.ts) and
 * DateTime values (graphql-scalars prints `Date#toISOString()`: UTC, milliseconds truncated, a `Z`).
 */
import { sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";

/** A literal for names the compiler itself vouches for (GraphQL names, type names): never client text. */
export function nameLiteral(name: string): SQL {
  if (!/^[_A-Za-z][_0-9A-Za-z]*$/.test(name)) throw new Error(`not a GraphQL name: ${name}`);
  return sql.raw(`'${name}'`);
}

/** PostgreSQL's base64 breaks lines every 76 characters and pads; base64url does neither. */
function base64url(text: SQL): SQL {
  return sql`translate(encode(convert_to(${text}, 'UTF8'), 'base64'), E'+/=\\n', '-_')`;
}

export function globalIdSql(type: string, id: PgColumn): SQL {
  return base64url(sql`${nameLiteral(`${type}`)} || ':' || ${id}::text`);
}

export function cursorSql(createdAt: PgColumn, id: PgColumn): SQL {
  return base64url(sql`'["' || ${createdAt}::text || '","' || ${id}::text || '"]'`);
}

export function dateTimeSql(column: PgColumn): SQL {
  return sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
