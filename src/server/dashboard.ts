/**
 * The operations dashboard at /dashboard: a static page (dashboard/ at the package root) that drives the
 * GraphQL API itself, over HTTP for queries and mutations and graphql-ws for bulk progress, as any client would.
 * Everything it loads comes from this server (the graphql-ws browser build from the installed package), and a
 * Content-Security-Policy keeps it that way. It holds no privilege of its own: it asks for a token (an ADMIN's,
 * for the organization to watch), or, outside production on a loopback server, starts with the demo token.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Express } from "express";

export const DASHBOARD_PATH = "/dashboard";

export interface DashboardOptions {
  /** A token the page starts with (development on loopback only); otherwise it asks for one. */
  demoToken?: string | undefined;
}

/** The package root: the nearest folder above this module holding package.json (src/ and dist/src/ alike). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("dashboard: no package.json above " + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function mountDashboard(app: Express, options: DashboardOptions = {}): void {
  const root = join(packageRoot(), "dashboard");
  const graphqlWs = join(dirname(createRequire(import.meta.url).resolve("graphql-ws")), "..", "umd");
  const headers = (res: { setHeader(name: string, value: string): unknown }) => {
    res.setHeader("content-security-policy", CSP);
    res.setHeader("cache-control", "no-store");
    res.setHeader("x-content-type-options", "nosniff");
  };

  app.get(DASHBOARD_PATH, (_req, res) => {
    headers(res);
    res.sendFile(join(root, "index.html"));
  });
  // What the page starts with; the demo token only when main.ts passed one (development, loopback).
  app.get(`${DASHBOARD_PATH}/session.json`, (_req, res) => {
    headers(res);
    res.json(options.demoToken ? { demoToken: options.demoToken } : {});
  });
  app.get(`${DASHBOARD_PATH}/graphql-ws.js`, (_req, res) => {
    headers(res);
    res.sendFile(join(graphqlWs, "graphql-ws.min.js"));
  });
  app.use(DASHBOARD_PATH, express.static(root, { index: false, setHeaders: headers }));
}
