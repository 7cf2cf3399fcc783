/**
 * examples/gql/ is generated (`npm run codegen`) but committed, so that `npm test` and `tsc` need no codegen
 * step. This test regenerates it in memory from codegen.ts, against the current schema.graphql and the current
 * operations, and fails when the committed files differ: an operation or the schema changed without codegen.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generate } from "@graphql-codegen/cli";
import { expect, test } from "vitest";
import config, { GENERATED_DIR } from "../../codegen.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const FIX = "run `npm run codegen` and commit examples/gql/";

test("the committed examples/gql/ is exactly what codegen generates now", async () => {
  // saveToFile = false: nothing is written, the outputs are returned.
  const outputs = (await generate({ ...config, cwd: root, silent: true }, false)) as {
    filename: string;
    content: string;
  }[];
  // The CLI skips empty outputs, so an empty one is not a file.
  const generated = new Map(
    outputs
      .filter((o) => o.content.length > 0)
      .map((o) => [path.relative(root, path.resolve(root, o.filename)), o.content]),
  );
  expect(generated.size, "codegen produced no files").toBeGreaterThan(0);
  for (const name of generated.keys()) expect(name.startsWith(path.normalize(GENERATED_DIR))).toBe(true);

  const committed = (await readdir(path.join(root, GENERATED_DIR), { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
  expect(committed.sort(), `stale or missing files in ${GENERATED_DIR}: ${FIX}`).toEqual([...generated.keys()].sort());

  for (const [name, content] of generated)
    expect(await readFile(path.join(root, name), "utf8"), `${name} is out of date: ${FIX}`).toBe(content);
});

test("the generated modules use .js import specifiers (NodeNext) and know every operation", async () => {
  const gql = await readFile(path.join(root, GENERATED_DIR, "gql.ts"), "utf8");
  const index = await readFile(path.join(root, GENERATED_DIR, "index.ts"), "utf8");
  const relative = [...(gql + index).matchAll(/from\s+["'](\.[^"']*)["']/g)].map((m) => m[1]);
  expect(relative.length).toBeGreaterThan(0);
  for (const specifier of relative) expect(specifier).toMatch(/\.js$/);
  // One operation from examples/ and one from test/e2e/: both globs are read.
  expect(gql).toContain("query ProjectsWithTasks(");
  expect(gql).toContain("query TaskDependents(");
});
