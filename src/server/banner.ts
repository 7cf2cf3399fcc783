/**
 * The line a server prints on stderr once it listens, and its reader. Tests, benches and scripts that start a
 * server wait for this line and take the GraphQL URL from it, so the text and its parser live here together.
 */

const LISTENING = "GraphQL API and IDE: ";

/**
 * The listening line.
 * @example listeningLine("http://127.0.0.1:4000/graphql", "PostgreSQL")
 * // "GraphQL API and IDE: http://127.0.0.1:4000/graphql  (database: PostgreSQL)"
 */
export function listeningLine(url: string, database: string): string {
  return `${LISTENING}${url}  (database: ${database})`;
}

/** Matches the listening line; group 1 is the GraphQL URL. */
export const LISTENING_LINE = new RegExp(`${LISTENING}(https?://\\S+)`);

/**
 * The GraphQL URL from a server's output, once the listening line is in it.
 * @returns the URL, or `undefined` while the server has not printed the line yet
 */
export function listeningUrl(output: string): string | undefined {
  return LISTENING_LINE.exec(output)?.[1];
}
