/**
 * `softdelete/visibility-in-one-place`: the live/deleted conditions are written once, in
 * src/engine/visibility.ts (`live`, `deleted`, `visibleRows`). Refuses, anywhere else:
 * - SQL text `deleted_at IS [NOT] NULL`, in strings and templates;
 * - a template interpolating a `deletedAt` column followed by `IS [NOT] NULL`;
 * - drizzle's `isNull(…deletedAt)` / `isNotNull(…deletedAt)`;
 * - a filter on the generated `isDeleted` column (`eq(t.isDeleted, …)`, `ne(…)`).
 */
const SQL_TEXT = /deleted_at"?\s+IS\s+(NOT\s+)?NULL/i;
const AFTER_COLUMN = /^\s*\)?\s*IS\s+(NOT\s+)?NULL/i;
const MESSAGE = "Write visibility conditions with live()/deleted()/visibleRows() from src/engine/visibility.ts.";

export default {
  meta: {
    type: "problem",
    docs: { description: "Soft-delete visibility conditions come from src/engine/visibility.ts only." },
    schema: [],
    messages: { handWritten: MESSAGE },
  },
  create(context) {
    const source = context.sourceCode;
    const report = (node) => context.report({ node, messageId: "handWritten" });
    return {
      Literal(node) {
        if (typeof node.value === "string" && SQL_TEXT.test(node.value)) report(node);
      },
      TemplateLiteral(node) {
        node.quasis.forEach((quasi, i) => {
          if (SQL_TEXT.test(quasi.value.raw)) report(quasi);
          const before = node.expressions[i - 1];
          if (before && /deletedAt/.test(source.getText(before)) && AFTER_COLUMN.test(quasi.value.raw)) report(quasi);
        });
      },
      CallExpression(node) {
        const name = node.callee.type === "Identifier" ? node.callee.name : undefined;
        const first = node.arguments[0];
        if (!name || !first) return;
        if ((name === "isNull" || name === "isNotNull") && /deletedAt/.test(source.getText(first))) report(node);
        if ((name === "eq" || name === "ne") && /\bisDeleted\b/.test(source.getText(first))) report(node);
      },
    };
  },
};
