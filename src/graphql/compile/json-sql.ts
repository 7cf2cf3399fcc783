/**
 * JSON as text, built by concatenation, and SQL expressions that print values exactly as the GraphQL serializers do, so an answer built by PostgreSQL is
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

/**
 * base64url of `text`, which must never hold a backslash (it goes through bytea's text input: type names, uuids
 * and timestamps only). PostgreSQL's base64 pads and breaks lines every 76 characters, base64url does neither;
 * `lines` is false when the input is known to be under 57 bytes (at 57, a line break ends the output). rtrim/replace and the bytea
 * cast cost a third of what translate and convert_to did (a quarter of the nested read's PostgreSQL time).
 */
function base64url(text: SQL, lines: boolean): SQL {
  const encoded = sql`rtrim(encode((${text})::bytea, 'base64'), '=')`;
  const joined = lines ? sql`replace(${encoded}, E'\n', '')` : encoded;
  return sql`replace(replace(${joined}, '+', '-'), '/', '_')`;
}

/** The text of a uuid: 36 bytes. */
const UUID_BYTES = 36;

export function globalIdSql(type: string, id: PgColumn): SQL {
  return base64url(sql`${nameLiteral(`${type}`)} || ':' || ${id}::text`, type.length + 1 + UUID_BYTES >= 57);
}

export function cursorSql(createdAt: PgColumn, id: PgColumn): SQL {
  return base64url(sql`'["' || ${createdAt}::text || '","' || ${id}::text || '"]'`, true);
}

export function dateTimeSql(column: PgColumn): SQL {
  return sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** The JSON string of a GraphQL name (`__typename`): a literal. */
export function nameString(name: string): SQL {
  nameLiteral(name);
  return sql.raw(`'"${name}"'`);
}

/**
 * The JSON string of `text` whose characters never need escaping (base64url, digits, `-:.TZ`): global ids,
 * cursors, DateTime values. NULL stays NULL.
 */
export function jsonSafeString(text: SQL): SQL {
  return sql`'"' || ${text} || '"'`;
}

/** Any column's JSON text (to_json escapes strings), `null` for NULL. */
export function jsonValue(column: PgColumn): SQL {
  return sql`coalesce(to_json(${column})::text, 'null')`;
}

/** `null` when `json` is NULL (an absent row, a NULL column): concatenation must never meet a NULL. */
export function jsonNullable(json: SQL): SQL {
  return sql`coalesce(${json}, 'null')`;
}

/** A JSON object of non-NULL JSON texts under GraphQL response keys (names: they need no escaping). */
export function jsonObject(parts: [string, SQL][]): SQL {
  if (!parts.length) return sql.raw(`'{}'`);
  const pieces: SQL[] = [];
  parts.forEach(([key, value], i) => {
    nameLiteral(key);
    pieces.push(sql.raw(`'${i === 0 ? "{" : ","}"${key}":'`), value);
  });
  pieces.push(sql.raw(`'}'`));
  return sql`(${sql.join(pieces, sql` || `)})`;
}
