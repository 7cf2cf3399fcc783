/**
 * BENCHMARKS.md belongs to every bench: each one replaces only its own `## bench:<name>` section (or appends it)
 * and leaves the others as they are. BENCH_WRITE=0 leaves the file alone (for smoke runs at tiny sizes).
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";

export const BENCHMARKS_FILE = fileURLToPath(new URL("../../BENCHMARKS.md", import.meta.url));

/** `doc` with the section headed `## <name>` replaced by `section` (appended when absent). */
export function replaceSection(doc: string, name: string, section: string): string {
  const heading = `## ${name}`;
  const start = doc.search(new RegExp(`^${heading.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[ \\t]*$`, "m"));
  if (start < 0) return `${doc.trimEnd()}\n\n${section.trim()}\n`;
  const rest = doc.slice(start + heading.length);
  const end = rest.search(/^## /m);
  return `${doc.slice(0, start)}${section.trim()}\n${end >= 0 ? `\n${rest.slice(end)}` : ""}`;
}

/** The run that creates BENCHMARKS.md, named in its header. */
export interface FirstRun {
  /** YYYY-MM-DD */
  date: string;
  command: string;
  nodeVersion: string;
  postgresVersion: string;
}

/** The head of a new BENCHMARKS.md. */
export function benchmarksHeader(run: FirstRun): string {
  return [
    "# Benchmarks",
    "",
    `Figures from the project's benchmark commands. Created on ${run.date} by \`${run.command}\` (Node ${run.nodeVersion}, ` +
      `PostgreSQL ${run.postgresVersion}); each section names the command, date and versions of its own run, and ` +
      "re-running the command replaces its section.",
    "",
  ].join("\n");
}

/**
 * Writes `section` (headed `## <name>`) into BENCHMARKS.md, formatted by prettier; a missing file is created with
 * `benchmarksHeader(run)`. With BENCH_WRITE=0 (smoke runs at tiny sizes) the file is left as it is.
 * @returns whether the file was written
 */
export async function writeBenchmarkSection(name: string, section: string, run: FirstRun): Promise<boolean> {
  if (process.env.BENCH_WRITE === "0") {
    process.stderr.write(`[${name}] BENCH_WRITE=0: BENCHMARKS.md left as it is\n`);
    return false;
  }
  const doc = existsSync(BENCHMARKS_FILE) ? await readFile(BENCHMARKS_FILE, "utf8") : benchmarksHeader(run);
  const options = (await prettier.resolveConfig(BENCHMARKS_FILE)) ?? {};
  const text = replaceSection(doc, name, section);
  await writeFile(BENCHMARKS_FILE, await prettier.format(text, { ...options, filepath: BENCHMARKS_FILE }));
  return true;
}
