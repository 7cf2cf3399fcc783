/**
 * BENCHMARKS.md belongs to every bench: each one replaces only its own `## bench:<name>` section (or appends it)
 * and leaves the others as they are.
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

/** Writes `section` into BENCHMARKS.md (created with `header` if missing), formatted by prettier. */
export async function writeBenchmarkSection(name: string, section: string, header: () => string): Promise<void> {
  const doc = existsSync(BENCHMARKS_FILE) ? await readFile(BENCHMARKS_FILE, "utf8") : header();
  const options = (await prettier.resolveConfig(BENCHMARKS_FILE)) ?? {};
  const text = replaceSection(doc, name, section);
  await writeFile(BENCHMARKS_FILE, await prettier.format(text, { ...options, filepath: BENCHMARKS_FILE }));
}
