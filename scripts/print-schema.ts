/** Writes schema.graphql from the code (`npm run schema`); a test fails when the committed file drifts. */
import "reflect-metadata";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { lexicographicSortSchema, printSchema } from "graphql";
import { createSchema } from "../src/graphql/schema.js";

export async function schemaSdl(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await createSchema()))}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = fileURLToPath(
    new URL(import.meta.url.includes("/dist/") ? "../../schema.graphql" : "../schema.graphql", import.meta.url),
  );
  writeFileSync(target, await schemaSdl());
  process.stdout.write(`wrote ${target}\n`);
}
