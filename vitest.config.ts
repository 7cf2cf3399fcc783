import { fileURLToPath } from "node:url";
import swc from "unplugin-swc";
import { defineConfig } from "vitest/config";
import { choosePostgres } from "./test/support/postgres-source.js";

/**
 * One suite, two databases: every test file runs once on PGlite and once on PostgreSQL. Which PostgreSQL
 * (TEST_DATABASE_URL, a container, or none) is decided here, once, because it decides whether the PostgreSQL
 * project exists; see test/support/postgres-source.ts.
 */
const postgres = await choosePostgres();
process.stderr.write(`${postgres.note}\n`);

const shared = {
  // type-graphql needs decorator metadata; SWC emits it from tsconfig.
  plugins: [swc.vite({ module: { type: "es6" } })],
  resolve: {
    // One graphql realm: test files and type-graphql/Apollo must load the same module.
    alias: [
      { find: /^graphql$/, replacement: fileURLToPath(new URL("./node_modules/graphql/index.js", import.meta.url)) },
    ],
  },
};

const project = (name: string, env: Record<string, string>, setupFiles: string[] = []) => ({
  ...shared,
  test: {
    name,
    include: ["test/**/*.test.ts"],
    env,
    globalSetup: ["test/support/global-setup.ts"],
    setupFiles,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

export default defineConfig({
  ...shared,
  test: {
    reporters: ["default", "./test/support/totals-reporter.ts"],
    projects: [
      project("pglite", { TEST_DB: "pglite" }),
      ...(postgres.source === "off"
        ? []
        : [
            project(
              "postgres",
              {
                TEST_DB: "postgres",
                TEST_POSTGRES_SOURCE: postgres.source,
                ...(postgres.source === "url" ? { TEST_DATABASE_URL: postgres.url } : {}),
              },
              ["test/support/postgres-env.ts"],
            ),
          ]),
    ],
  },
});
