/**
 * The operations dashboard in a real headless Chromium (Debian's /usr/bin/chromium), against a real server:
 * it renders the health report, a bulk operation started by the test moves its progress bar to 100% through
 * the bulkOperationProgress subscription, cancel and restore buttons do what they say (checked through the
 * API), the trash restores a row, and an operation's audit trail shows. It loads nothing from elsewhere.
 * Screenshots go to test-results/dashboard/ (git-ignored).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { signToken } from "../../src/auth/token.js";
import { mountDashboard } from "../../src/server/dashboard.js";
import { browserTest, hasChromium, launchChromium, type Chromium } from "../support/chromium.js";
import { startTestApi, TEST_SECRET, type TestApi } from "../support/api.js";
import { onPostgres } from "../support/db.js";
import { must } from "../support/graph.js";

const SHOTS = fileURLToPath(
  new URL(`../../test-results/dashboard/${onPostgres ? "postgres" : "pglite"}/`, import.meta.url),
);
const TIMEOUT = 30_000;

let api: TestApi;
let origin: string;
let context: BrowserContext;
let page: Page;
let browser: Chromium | undefined;
const problems: string[] = [];
/** Batches from this number on wait for `release` (the cancel test holds an operation RUNNING). */
let holdFrom = Infinity;
let release!: () => void;
const released = new Promise<void>((r) => (release = r));
const foreign: string[] = [];

async function newTasks(n: number): Promise<{ project: string; tasks: string[] }> {
  const slug = `dash-${Math.random().toString(36).slice(2, 10)}`;
  const project = (
    await must(api, `mutation($s: String!) { createProject(input: { slug: $s, name: "dash" }) { id } }`, { s: slug })
  ).createProject.id;
  const tasks: string[] = [];
  for (let i = 0; i < n; i++)
    tasks.push(
      (await must(api, `mutation($p: ID!) { createTask(input: { projectId: $p, title: "t" }) { id } }`, { p: project }))
        .createTask.id,
    );
  return { project, tasks };
}

const opStatus = async (id: string) =>
  (await must(api, `query($id: ID!) { bulkOperation(id: $id) { status processed } }`, { id })).bulkOperation;

beforeAll(async () => {
  if (!hasChromium) return;
  // Slow batches, so that a running operation can be watched and cancelled.
  api = await startTestApi({
    bulk: {
      batchSize: 2,
      pauseMs: 150,
      pollMs: 100,
      beforeBatch: async (_op, batch) => {
        if (batch >= holdFrom) await released;
      },
    },
  });
  const demoToken = await signToken({ sub: "admin@demo.test", role: "ADMIN", org: "demo" }, TEST_SECRET, 3_600_000);
  // The test server is built without the dashboard's demo token; the page is given one as an operator would.
  origin = new URL(api.url).origin;
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium("dashboard", { timeout: TIMEOUT, viewport: { width: 1400, height: 1000 } });
  context = browser.context;
  context.setDefaultTimeout(TIMEOUT);
  context.on("request", (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith(origin.replace("http", "ws"))) foreign.push(r.url());
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || /Content.Security.Policy/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on("dialog", (d) => {
    problems.push(`alert: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`${origin}/dashboard`);
  // No demo token offered: the page asks for one.
  await page.locator("#login").waitFor({ state: "visible" });
  await page.fill("#token", demoToken);
  await page.click("#login button[type=submit]");
  await page.waitForSelector("body[data-loaded=true]");
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
});

const dashboardTest = (name: string, fn: () => Promise<void>) => browserTest(name, 120_000, fn);

describe("the operations dashboard in Chromium", () => {
  dashboardTest("renders the health report: a bar per table, figures and recommendations", async () => {
    const report = (await must(api, `{ healthReport { tables { table entityType } recommendations { message } } }`))
      .healthReport;
    const rows = page.locator("#tables .table-row");
    await expect.poll(() => rows.count()).toBe(report.tables.length);
    for (const t of report.tables) {
      const row = page.locator(`#tables .table-row[data-table="${t.table}"]`);
      expect(await row.locator("strong").textContent()).toBe(t.entityType);
      expect(await row.locator(".figures").textContent()).toMatch(/live · .* deleted \(\d+\.\d%\)/);
    }
    expect(await page.locator("#recommendations li").count()).toBeGreaterThanOrEqual(
      Math.max(1, report.recommendations.length),
    );
    await page.screenshot({ path: join(SHOTS, "health.png"), fullPage: true });
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
  });

  dashboardTest(
    "a bulk operation started elsewhere: its progress bar moves to 100% over the subscription",
    async () => {
      const { project } = await newTasks(10);
      // Held PENDING until the page shows it at 0%, so the whole run is watched.
      await api.services.runner.stop();
      const op = (
        await must(api, `mutation($p: ID!) { bulkSoftDelete(filter: { type: Task, projectId: $p }) { id } }`, {
          p: project,
        })
      ).bulkSoftDelete.id;
      await page.click("#refresh");
      const bar = page.locator(`tr[data-op="${op}"] .progress`);
      await bar.waitFor();
      // Record every value the bar takes, as the subscription's events re-render it.
      // (A string: the test's tsconfig has no DOM types.)
      await page.evaluate(`{
      const seen = (window.seen = []);
      const record = () => {
        const v = document.querySelector('tr[data-op="${op}"] .progress')?.getAttribute("data-progress");
        if (v && seen[seen.length - 1] !== v) seen.push(v);
      };
      record();
      new MutationObserver(record).observe(document.getElementById("operations"), { subtree: true, childList: true });
    }`);
      expect(await bar.getAttribute("data-progress")).toBe("0");
      api.services.runner.start();
      await page.waitForSelector(`tr[data-op="${op}"] .progress[data-progress="100"]`);
      // The last batch's event (all rows processed, still RUNNING) can arrive before the one that ends the operation.
      await page.waitForSelector(`tr[data-op="${op}"] .status-SUCCEEDED`);
      const seen = (await page.evaluate("window.seen")) as string[];
      // It moved: at least one value between 0 and 100 was shown before 100 (5 batches, 150 ms apart).
      expect(
        seen.map(Number).some((v) => v > 0 && v < 100),
        seen.join(","),
      ).toBe(true);
      expect(seen.at(-1)).toBe("100");
      expect((await opStatus(op)).processed).toBe(10);
      await page.screenshot({ path: join(SHOTS, "bulk-done.png"), fullPage: true });
    },
  );

  dashboardTest("Cancel stops a running operation; Restore brings back what it deleted", async () => {
    const { project, tasks } = await newTasks(10);
    await api.services.runner.stop();
    const op = (
      await must(api, `mutation($p: ID!) { bulkSoftDelete(filter: { type: Task, projectId: $p }) { id } }`, {
        p: project,
      })
    ).bulkSoftDelete.id;
    await page.click("#refresh");
    const cancelButton = page.locator(`tr[data-op="${op}"] button.cancel`);
    await cancelButton.waitFor();
    // The first batch commits; the second waits (holding its transaction) until the page sends the cancel.
    holdFrom = 2;
    page.on("request", (r) => {
      if (r.postData()?.includes("DashboardCancel")) release();
    });
    api.services.runner.start();
    await page.waitForSelector(`tr[data-op="${op}"] .progress:not([data-progress="0"])`);
    await cancelButton.click();
    await page.waitForSelector(`tr[data-op="${op}"] .status-CANCELLED`);
    holdFrom = Infinity;
    const cancelled = await opStatus(op);
    expect(cancelled.status).toBe("CANCELLED");
    expect(cancelled.processed).toBeGreaterThan(0);
    expect(cancelled.processed).toBeLessThan(10);
    await page.screenshot({ path: join(SHOTS, "bulk-cancelled.png"), fullPage: true });

    await page.locator(`tr[data-op="${op}"] button.restore`).click();
    // The restore is a new operation of its own, watched like any other.
    const restoreRow = page.locator("#operations tr", { hasText: "RESTORE" }).first();
    await restoreRow.locator(".status-SUCCEEDED").waitFor();
    const live = await must(api, `query($p: ID!) { project(id: $p) { tasks(first: 100) { totalCount } } }`, {
      p: project,
    });
    expect(live.project.tasks.totalCount).toBe(tasks.length);
  });

  dashboardTest("the trash restores a deleted row; the audit trail of its operation shows", async () => {
    const { tasks } = await newTasks(1);
    const del = await must(api, `mutation($id: ID!) { softDelete(id: $id, reason: "dashboard") { operationId } }`, {
      id: tasks[0],
    });
    await page.click("#refresh");
    const row = page.locator(`#trash-groups tr[data-entity="${tasks[0]}"]`);
    await row.waitFor();
    await row.locator("button", { hasText: "Audit" }).click();
    await page.locator("#audit").waitFor({ state: "visible" });
    expect(await page.locator("#audit-op").textContent()).toContain(del.softDelete.operationId);
    expect(await page.locator("#audit-entries tr").count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator("#audit-entries tr").first().textContent()).toContain("SOFT_DELETE");
    await page.screenshot({ path: join(SHOTS, "trash-audit.png"), fullPage: true });
    await row.locator("button.restore").click();
    await row.waitFor({ state: "detached" });
    const task = await must(api, `query($id: ID!) { task(id: $id) { id } }`, { id: tasks[0] });
    expect(task.task?.id).toBe(tasks[0]);
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
  });
});

describe("serving", () => {
  test("the page and its assets come from this server under a strict CSP; the demo token only when given", async () => {
    const local = api ?? (await startTestApi());
    try {
      const base = new URL(local.url).origin;
      const res = await fetch(`${base}/dashboard`);
      expect(res.status).toBe(200);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toMatch(/(^|; )default-src 'self'(;|$)/);
      expect(csp).not.toMatch(/https?:|\*|unsafe/);
      const html = await res.text();
      for (const src of html.matchAll(/(?:src|href)="(?!data:)([^"]+)"/g)) {
        expect(src[1]).toMatch(/^\/dashboard\//);
        expect((await fetch(base + src[1])).status).toBe(200);
      }
      expect(await (await fetch(`${base}/dashboard/session.json`)).json()).toEqual({});
    } finally {
      if (!api) await local.close();
    }
  });

  test("with a demo token (development on loopback, as main.ts decides) the page starts with it", async () => {
    const app = express();
    mountDashboard(app, { demoToken: "a.b.c" });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    try {
      const { port } = server.address() as { port: number };
      expect(await (await fetch(`http://127.0.0.1:${port}/dashboard/session.json`)).json()).toEqual({
        demoToken: "a.b.c",
      });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
