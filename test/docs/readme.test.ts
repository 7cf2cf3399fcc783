import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { withConfigTable } from "../../scripts/config-docs.js";
import { SETTINGS } from "../../src/config/settings.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

test("README's configuration table is the one generated from the settings (run `npm run docs:config`)", () => {
  expect(withConfigTable(readme)).toBe(readme);
  for (const name of Object.keys(SETTINGS)) expect(readme).toContain(`\`${name}\``);
});

test("README gives the two setup commands", () => {
  expect(readme).toContain("npm install && npm start");
  expect(readme).toContain("npm test");
});
