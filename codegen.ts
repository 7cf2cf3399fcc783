/**
 * GraphQL Code Generator: typed documents for the operations written with `graphql(...)` in examples/ and
 * test/e2e/, checked against schema.graphql (which `npm run schema` keeps in step with the server code).
 *
 *   npm run codegen        (graphql-codegen --config codegen.ts)
 *
 * The output, examples/gql/ (with persisted-documents.json, the trusted-documents manifest), is committed; test/e2e/codegen.test.ts regenerates it in memory from this config
 * and fails when the committed files differ, so run codegen after changing an operation or the schema.
 */
import type { CodegenConfig } from "@graphql-codegen/cli";

export const GENERATED_DIR = "examples/gql/";

const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["examples/**/*.ts", "test/e2e/**/*.ts", `!${GENERATED_DIR}**`],
  // An operation that matches nothing is a mistake here, not an empty success.
  ignoreNoDocuments: false,
  // NodeNext resolution: relative imports in the generated files need their ".js" extension.
  importExtension: ".js",
  generates: {
    [GENERATED_DIR]: {
      preset: "client",
      presetConfig: {
        // No fragments are shared across modules yet; result types are plain objects.
        fragmentMasking: false,
        // Also writes persisted-documents.json, { sha256: document }: the manifest TRUSTED_DOCUMENTS serves, and
        // each document carries its hash (`__meta__.hash`) for the client to send instead of the text.
        persistedDocuments: { mode: "embedHashInDocument", hashAlgorithm: "sha256" },
      },
      config: {
        // Every custom scalar must be mapped: an unmapped one would silently become `any`.
        strictScalars: true,
        scalars: { DateTime: "string", SafeInt: "number" },
        useTypeImports: true,
      },
    },
  },
};

export default config;
