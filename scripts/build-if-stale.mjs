/**
 * `npm start` and `npm run token` run the compiled output in dist/ (type-graphql needs tsc's decorator metadata),
 * so they come here first: this builds with tsc only when an input changed since the last successful build,
 * and otherwise returns at once. The inputs are every file under src/ and scripts/, the tsconfig files and
 * package-lock.json; a build is current when the fingerprint of their paths, sizes and modification times
 * equals the one written next to the output after the last build (so an added, removed or touched file counts).
 *
 * Plain JavaScript on purpose: it must run before anything is compiled.
 *   node scripts/build-if-stale.mjs [--quiet]
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const INPUTS = ["src", "scripts", "tsconfig.json", "tsconfig.build.json", "package-lock.json"];
export const STAMP = "dist/.build-fingerprint";

function* files(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return;
  if (!stat.isDirectory()) {
    yield [path, stat];
    return;
  }
  for (const entry of readdirSync(path).sort()) yield* files(join(path, entry));
}

/** The fingerprint of the inputs under `root`: their paths, sizes and modification times. */
export function fingerprint(root, inputs = INPUTS) {
  const hash = createHash("sha256");
  for (const input of inputs)
    for (const [path, stat] of files(join(root, input)))
      hash.update(`${relative(root, path)}\t${stat.size}\t${stat.mtimeMs}\n`);
  return hash.digest("hex");
}

/**
 * Runs `build` when the inputs changed since the last successful one (or nothing was built yet); returns
 * whether it built. A failed build (non-zero status) writes no stamp, so the next call builds again.
 */
export function ensureBuilt({ root, build, inputs = INPUTS, stamp = STAMP }) {
  const stampPath = join(root, stamp);
  const current = fingerprint(root, inputs);
  if (existsSync(stampPath) && readFileSync(stampPath, "utf8") === current) return { built: false, status: 0 };
  const status = build();
  if (status !== 0) return { built: true, status };
  mkdirSync(dirname(stampPath), { recursive: true });
  // The inputs as they were when the build started: a file saved during the build makes the next run build.
  writeFileSync(stampPath, current);
  return { built: true, status };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const quiet = process.argv.includes("--quiet");
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const { built, status } = ensureBuilt({
    root,
    build: () => {
      if (!quiet) process.stderr.write("sources changed: building with tsc…\n");
      return (
        spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" }).status ?? 1
      );
    },
  });
  if (!built && !quiet) process.stderr.write("build is current: not rebuilding\n");
  process.exitCode = status;
}
