/**
 * The edit loop: `npm start` and `npm run token` run the compiled output directly when it is current, and build
 * only when an input was added, changed or removed since the last successful build (scripts/build-if-stale.mjs).
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
// @ts-expect-error a plain .mjs script without types: it must run before anything is compiled
import { ensureBuilt } from "../../scripts/build-if-stale.mjs";

let root: string;
let builds = 0;
let status = 0;
const build = () => {
  builds++;
  return status;
};
const run = () => ensureBuilt({ root, build }) as { built: boolean; status: number };

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "build-if-stale-"));
  mkdirSync(join(root, "src", "server"), { recursive: true });
  writeFileSync(join(root, "src", "server", "main.ts"), "export {};\n");
  writeFileSync(join(root, "tsconfig.json"), "{}\n");
  builds = 0;
  status = 0;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("build-if-stale", () => {
  test("builds the first time, then not again while nothing changed", () => {
    expect(run()).toEqual({ built: true, status: 0 });
    expect(run()).toEqual({ built: false, status: 0 });
    expect(run()).toEqual({ built: false, status: 0 });
    expect(builds).toBe(1);
  });

  test("a changed, touched, added or removed input makes it build again", () => {
    run();
    writeFileSync(join(root, "src", "server", "main.ts"), "export const x = 1;\n");
    expect(run().built).toBe(true);
    const later = new Date(Date.now() + 5000);
    utimesSync(join(root, "tsconfig.json"), later, later);
    expect(run().built).toBe(true);
    writeFileSync(join(root, "src", "server", "new.ts"), "export {};\n");
    expect(run().built).toBe(true);
    unlinkSync(join(root, "src", "server", "new.ts"));
    expect(run().built).toBe(true);
    expect(run().built).toBe(false);
    expect(builds).toBe(5);
  });

  test("a failed build leaves no stamp: the next run builds again", () => {
    status = 2;
    expect(run()).toEqual({ built: true, status: 2 });
    status = 0;
    expect(run()).toEqual({ built: true, status: 0 });
    expect(run().built).toBe(false);
  });

  test("package.json: start and token run dist/ directly, after the staleness check", () => {
    const scripts = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).scripts;
    expect(scripts.prestart).toBe("node scripts/build-if-stale.mjs");
    expect(scripts.start).toBe("node dist/src/server/main.js");
    expect(scripts.pretoken).toBe("node scripts/build-if-stale.mjs --quiet");
    expect(scripts.token).toBe("node dist/scripts/token.js");
  });
});
