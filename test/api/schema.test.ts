import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { schemaSdl } from "../../scripts/print-schema.js";

test("schema.graphql is the schema the code builds (run `npm run schema` after changing the API)", async () => {
  const committed = readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8");
  expect(await schemaSdl()).toBe(committed);
});
