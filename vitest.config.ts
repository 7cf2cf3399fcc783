import { fileURLToPath } from "node:url";
import swc from "unplugin-swc";
import { defineConfig } from "vitest/config";

/**
 * One suite, two databases: every test file runs once on PGlite and once on PostgreSQL
 * (TEST_DATABASE_URL). Without that variable the PostgreSQL project is left out, and says so.
 */
const postgresUrl = process.env.TEST_DATABASE_URL;
if (!postgresUrl) {
  process.stderr.write(
    "TEST_DATABASE_URL is unset: running the suite on PGlite only (set it to also run on PostgreSQL)\n",
  );
}

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

const project = (name: string, env: Record<string, string>) => ({
  ...shared,
  test: {
    name,
    include: ["test/**/*.test.ts"],
    env,
    globalSetup: ["test/support/global-setup.ts"],
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
      ...(postgresUrl ? [project("postgres", { TEST_DB: "postgres", TEST_DATABASE_URL: postgresUrl })] : []),
    ],
  },
});
