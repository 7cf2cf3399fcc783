/**
 * The peer of `npm run bench:api`: PostGraphile v4 with @graphile-contrib/pg-omit-archived (archived column
 * `is_deleted`: soft-deleted rows are left out of collections by default) on the bench's database, as a plain
 * node:http server on 127.0.0.1 and a free port. Prints `PostGraphile: <url>` once listening.
 *
 * Environment: DATABASE_URL (required), DATABASE_POOL_MAX (default 10, like the server under test).
 */
import http from "node:http";
import omitArchived from "@graphile-contrib/pg-omit-archived";
import pg from "pg";
import postgraphileModule from "postgraphile";

const { postgraphile } = postgraphileModule;
const PgOmitArchived = omitArchived.default;

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_MAX || 10),
});
const handler = postgraphile(pool, "public", {
  appendPlugins: [PgOmitArchived],
  graphileBuildOptions: { pgArchivedColumnName: "is_deleted" },
  // Production settings: no IDE, no query log, no schema watching, plain errors.
  graphiql: false,
  disableQueryLog: true,
  watchPg: false,
  retryOnInitFail: false,
  setofFunctionsContainNulls: false,
  ignoreRBAC: false,
});
const server = http.createServer(handler);
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  process.stdout.write(`PostGraphile: http://127.0.0.1:${port}/graphql\n`);
});
process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  void pool.end().then(() => process.exit(0));
});
