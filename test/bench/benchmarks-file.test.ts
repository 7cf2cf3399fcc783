import { expect, test } from "vitest";
import { replaceSection } from "../../bench/support/benchmarks-file.js";

const doc = "# Benchmarks\n\nintro\n\n## bench:api\n\nold api\n\n## bench:cascade\n\ncascade figures\n";

test("replaces only the named section and keeps the ones after it", () => {
  expect(replaceSection(doc, "bench:api", "## bench:api\n\nnew api")).toBe(
    "# Benchmarks\n\nintro\n\n## bench:api\n\nnew api\n\n## bench:cascade\n\ncascade figures\n",
  );
});

test("replaces the last section up to the end of the file", () => {
  expect(replaceSection(doc, "bench:cascade", "## bench:cascade\n\nnew")).toBe(
    "# Benchmarks\n\nintro\n\n## bench:api\n\nold api\n\n## bench:cascade\n\nnew\n",
  );
});

test("appends a section that is not there yet, and does not match a longer name", () => {
  const out = replaceSection(doc, "bench:cascade-extra", "## bench:cascade-extra\n\nx");
  expect(out).toBe(`${doc}\n## bench:cascade-extra\n\nx\n`);
});
