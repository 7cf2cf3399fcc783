import tseslint from "typescript-eslint";
import visibilityInOnePlace from "./eslint-rules/visibility-in-one-place.js";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".data/", "examples/gql/", "coverage/"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  {
    // The only hard-delete path is the engine's: no stray `db.delete(...)` elsewhere.
    files: ["src/**/*.ts"],
    ignores: ["src/engine/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.property.name='delete'][callee.object.name=/^(db|tx)$/]",
          message: "Hard deletes go through SoftDeleteEngine.hardDelete / removeSubtrees only.",
        },
      ],
    },
  },
  {
    // The soft-delete visibility rule lives in one place (src/engine/visibility.ts); the column helpers that
    // define the stored column and the partial indexes' predicate are its other half.
    files: ["src/**/*.ts", "scripts/**/*.ts"],
    ignores: ["src/engine/visibility.ts", "src/db/schema/columns.ts"],
    plugins: { softdelete: { rules: { "visibility-in-one-place": visibilityInOnePlace } } },
    rules: { "softdelete/visibility-in-one-place": "error" },
  },
);
