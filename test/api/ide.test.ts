/**
 * The GraphQL IDE (ruru) is served by this server and loads nothing from anywhere else: the page, every asset
 * it references (scripts, styles, the font, Monaco's workers, webpack chunks and lazily loaded CSS) come from
 * this origin, checked statically by a crawler and live in a headless Chromium (Debian's /usr/bin/chromium),
 * which runs a query over HTTP and a subscription over graphql-ws through the UI.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { runInNewContext } from "node:vm";
import express from "express";
import type { Locator, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse, validate, type OperationDefinitionNode } from "graphql";
import { IDE_STATIC_PATH, mountIde } from "../../src/server/ide.js";
import { MODEL } from "../../src/domain/model.js";
import { ideDocument } from "../../src/server/ide-document.js";
import { browserTest, launchChromium } from "../support/chromium.js";
import { startTestApi, type TestApi } from "../support/api.js";

let api: TestApi;
let origin: string;

beforeAll(async () => {
  api = await startTestApi();
  origin = new URL(api.url).origin;
});
afterAll(() => api?.close());

const getHtml = (path: string) => fetch(origin + path, { headers: { accept: "text/html,application/xhtml+xml" } });

describe("routes", () => {
  test("GET /graphql and GET / with Accept: text/html return the IDE page", async () => {
    for (const path of ["/graphql", "/"]) {
      const res = await getHtml(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toContain('<div id="ruru-root">');
      expect(ruruConfig(html)).toMatchObject({
        endpoint: "/graphql",
        subscriptionEndpoint: "/graphql",
        staticPath: IDE_STATIC_PATH,
      });
      // The browser itself refuses anything from another origin.
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toMatch(/(^|; )default-src 'self'(;|$)/);
      expect(csp).not.toMatch(/https?:|\/\/|\*/);
    }
  });

  test("the IDE opens on a tour of this API that validates against the schema", async () => {
    const html = await (await getHtml("/graphql")).text();
    const document = ruruConfig(html).defaultQuery as string;
    expect(document).toBe(ideDocument(MODEL));
    expect(validate(api.app.schema, parse(document))).toEqual([]);
    const operations = parse(document).definitions.map((d) => (d as OperationDefinitionNode).operation);
    expect(operations).toEqual(["query", "mutation", "mutation", "mutation", "subscription"]);
    expect(document).toMatch(/includeDeleted: true/);
    expect(document).toMatch(/softDelete\(/);
    expect(document).toMatch(/bulkOperationProgress\(/);
  });

  test("POST /graphql is still the API; GET /graphql without text/html is not the IDE", async () => {
    const { status, body } = await api.http("{ viewer { subject } }");
    expect(status).toBe(200);
    expect(body).toEqual({ data: { viewer: { subject: "admin@demo.test" } } });
    const res = await fetch(`${api.url}?query=${encodeURIComponent("{ __typename }")}`, {
      headers: { accept: "application/json" },
    });
    expect(res.headers.get("content-type") ?? "").not.toMatch(/html/);
    expect(await res.text()).not.toContain("ruru-root");
  });

  test("mountIde's initialHeaders become the IDE's initial and default headers", async () => {
    const app = express();
    const initialHeaders = { authorization: "Bearer a.b.c</script><script>alert(1)</script>" };
    mountIde(app, "/graphql", MODEL, { initialHeaders });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    try {
      const { port } = server.address() as { port: number };
      const html = await (await fetch(`http://127.0.0.1:${port}/graphql`, { headers: { accept: "text/html" } })).text();
      const config = ruruConfig(html);
      expect(JSON.parse(config.initialHeaders)).toEqual(initialHeaders);
      expect(JSON.parse(config.defaultHeaders)).toEqual(initialHeaders);
      // A header value cannot close the config script: every </script> closes a <script> of the page.
      expect(html.match(/<\/script>/g)!.length).toBe(html.match(/<script\b/g)!.length);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// A crawler that follows what a browser would fetch, starting from the page.

/** CDN hosts that must not appear in any served asset, even outside a fetch context. */
const CDN_HOSTS =
  /(?:fonts\.googleapis\.com|fonts\.gstatic\.com|unpkg\.com|jsdelivr\.net|cdnjs\.cloudflare\.com|esm\.sh|skypack\.dev|jspm\.io|\bcdn\.[a-z0-9-]+\.[a-z]+)[^\s"'`)]*/gi;
/**
 * Known occurrences that are never fetched, each with its reason. ruru bundles chevrotain (a parser toolkit);
 * its createSyntaxDiagramsCode() writes an HTML document for grammar authors whose default stylesheet and
 * script base are on unpkg. The IDE never calls it.
 */
const INERT_CDN_MENTIONS = ["unpkg.com/chevrotain@${r}/diagrams/", "unpkg.com/chevrotain@${r}/diagrams/diagrams.css"];

interface Crawl {
  /** Same-origin URLs fetched, with status and content type. */
  fetched: Map<string, { status: number; type: string }>;
  /** Every external URL found in a place the browser would fetch from, with where it was found. */
  external: string[];
  /** CDN hosts named anywhere in a served asset, outside the known inert mentions. */
  cdnMentions: string[];
}

const decodeEntities = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

/** The page's RURU_CONFIG object (a JS literal: ruru escapes `<script` and `</script` inside it). */
function ruruConfig(html: string): Record<string, any> {
  const m = /const RURU_CONFIG = ([\s\S]*?);\s*<\/script>/.exec(html);
  if (!m) throw new Error("no RURU_CONFIG in the page");
  return runInNewContext(`(${m[1]})`) as Record<string, any>;
}

/** References in the HTML page: attributes, inline scripts (imports, path literals, worker files), inline styles. */
function htmlRefs(page: string): string[] {
  const refs: string[] = [];
  const staticPath = ruruConfig(page).staticPath as string;
  const html = page.replace(/\sxmlns(?::\w+)?=("[^"]*"|'[^']*')/gi, "");
  // Any absolute or protocol-relative URL anywhere in the page (XML namespaces aside) counts as loaded.
  for (const m of html.matchAll(/(?:\b[a-z][\w+.-]*:)?\/\/[^\s"'`<>)]+/gi)) refs.push(decodeEntities(m[0]));
  for (const m of html.matchAll(/\s(?:src|href|poster|action|data|srcset)\s*=\s*("([^"]*)"|'([^']*)')/gi)) {
    for (const part of decodeEntities(m[2] ?? m[3] ?? "").split(/\s*,\s*/)) refs.push(part.split(/\s+/)[0]!);
  }
  for (const [, body] of html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/gi)) {
    refs.push(...jsRefs(body!, {}, true).map((r) => (/^[\w.-]+\.m?js$/.test(r) ? staticPath + r : r)));
  }
  for (const [, body] of html.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/gi)) refs.push(...cssRefs(body!));
  return refs.filter((r) => r && !r.startsWith("data:") && !r.startsWith("#") && !r.startsWith("about:"));
}

/** How webpack names chunk files, learned from the runtime in an entry script (ruru.js, each worker). */
interface ChunkNames {
  js?: string;
  css?: string;
}

/**
 * References in JavaScript: static and dynamic imports, worker scripts and fetches of literal URLs, and webpack's
 * chunks (ids from `__webpack_require__.e(id)` and lazy-context maps, file names from the runtime's `.u` /
 * `.miniCssF` rules). `inline` also takes every quoted path or file name literal (page scripts are tiny).
 */
function jsRefs(js: string, names: ChunkNames, inline = false): string[] {
  const refs: string[] = [];
  // import x from "…", import { a as b } from "…", export * from "…", import "…"
  for (const m of js.matchAll(/(?:^|[;}\s])(?:import|export)\s*(?:[\w$\s{},*]*?\s*from\s*)?["']([^"'\s]+)["']/g))
    refs.push(m[1]!);
  for (const m of js.matchAll(
    /\b(?:import|importScripts|fetch|Worker|SharedWorker|EventSource|WebSocket|URL)\s*\(\s*["'`]([^"'`$]+)["'`]/g,
  )) {
    refs.push(m[1]!);
  }
  for (const m of js.matchAll(/\b(?:src|href)\s*=\s*\\?["']((?:https?:)?\/\/[^"'\\]+)/g)) refs.push(m[1]!);
  if (inline)
    for (const m of js.matchAll(/["'`]((?:\/|\.\.?\/|(?:https?|wss?):\/\/)[^"'`\s]*|[\w.-]+\.(?:m?js|css))["'`]/g))
      refs.push(m[1]!);
  names.js ??= /\.u=\w+=>\w+\+"([^"]+)"/.exec(js)?.[1];
  names.css ??= /\.miniCssF=\w+=>\w+\+"([^"]+)"/.exec(js)?.[1];
  const ids = new Set<string>();
  for (const m of js.matchAll(/\b[\w$]{1,3}\.e\((\d+)\)/g)) ids.add(m[1]!);
  for (const m of js.matchAll(/"[^"]*":\[\d+,\[([\d,]+)\]\]/g)) for (const id of m[1]!.split(",")) ids.add(id);
  if (ids.size && !names.js) throw new Error("webpack chunk ids found before the runtime that names chunk files");
  for (const id of ids) refs.push(`./${id}${names.js}`);
  if (names.css) {
    for (const m of js.matchAll(/\{((?:\d+:1,?)+)\}\[\w+\]/g))
      for (const pair of m[1]!.split(",")) refs.push(`./${pair.split(":")[0]}${names.css}`);
  }
  return refs;
}

/** References in CSS: url(...) and @import. */
function cssRefs(css: string): string[] {
  const refs: string[] = [];
  for (const m of css.matchAll(/url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)/gi))
    refs.push(m[1] ?? m[2] ?? m[3] ?? "");
  for (const m of css.matchAll(/@import\s+(?:"([^"]*)"|'([^']*)')/gi)) refs.push(m[1] ?? m[2] ?? "");
  return refs.filter((r) => r && !r.startsWith("data:") && !r.startsWith("#"));
}

async function crawl(pageUrl: string, pageHtml: string): Promise<Crawl> {
  const result: Crawl = { fetched: new Map(), external: [], cdnMentions: [] };
  const queue: [string, string][] = htmlRefs(pageHtml).map((r) => [r, pageUrl]);
  const config = ruruConfig(pageHtml);
  // The GraphQL endpoints are checked for their host like everything else, but are not assets to fetch.
  const endpoints = new Set(
    [config.endpoint, config.subscriptionEndpoint].filter(Boolean).map((e) => new URL(e, pageUrl).pathname),
  );
  const host = new URL(origin).host;
  const seen = new Set<string>();
  const names: ChunkNames = {};
  while (queue.length) {
    const [ref, base] = queue.shift()!;
    const url = new URL(ref, base);
    url.hash = "";
    if (url.host !== host || !/^(https?|wss?):$/.test(url.protocol)) {
      const where = `${url.href} (in ${base})`;
      if (!result.external.includes(where)) result.external.push(where);
      continue;
    }
    // A bare directory (the static path prefix the page script builds worker URLs from) is not a request.
    if (
      seen.has(url.href) ||
      url.pathname.endsWith("/") ||
      endpoints.has(url.pathname) ||
      url.protocol.startsWith("ws")
    )
      continue;
    seen.add(url.href);
    const res = await fetch(url);
    const type = res.headers.get("content-type") ?? "";
    result.fetched.set(url.href, { status: res.status, type });
    if (!res.ok || !/javascript|css/.test(type)) {
      await res.arrayBuffer();
      continue;
    }
    const text = await res.text();
    for (const m of text.matchAll(CDN_HOSTS)) {
      if (!INERT_CDN_MENTIONS.some((inert) => m[0].startsWith(inert)))
        result.cdnMentions.push(`${m[0]} (in ${url.pathname})`);
    }
    const refs = type.includes("css") ? cssRefs(text) : jsRefs(text, names);
    for (const r of refs) queue.push([r, url.href]);
  }
  return result;
}

/** What ruru ships: its static folder, without source maps and licence texts (never requested by a browser). */
function ruruAssets(): Map<string, string> {
  const staticDir = join(dirname(createRequire(import.meta.url).resolve("ruru/static")), "..", "static");
  const files = readdirSync(staticDir).filter((f) => !f.endsWith(".map") && !f.endsWith(".LICENSE.txt"));
  return new Map(files.map((f) => [f, readFileSync(join(staticDir, f), "latin1")]));
}

describe("offline", () => {
  test("the page and every asset it loads come from this server, and all of ruru's assets are reached", async () => {
    const html = await (await getHtml("/graphql")).text();
    const { fetched, external, cdnMentions } = await crawl(`${origin}/graphql`, html);
    expect(external).toEqual([]);
    expect(cdnMentions).toEqual([]);
    const bad = [...fetched].filter(([, f]) => f.status !== 200 || !/javascript|css|font/.test(f.type));
    expect(bad).toEqual([]);
    // The crawl follows the page's scripts, the workers it names, webpack chunks and lazily loaded CSS down to
    // the font. It reaches every file ruru ships except orphans: files whose name (a chunk id) no other file
    // mentions, so nothing can load them. Anything else left unreached would mean the crawl missed a reference.
    const reached = new Set([...fetched.keys()].map((u) => new URL(u).pathname));
    const assets = ruruAssets();
    expect(reached.size).toBeGreaterThan(50);
    const unreached = [...assets.keys()].filter((f) => !reached.has(IDE_STATIC_PATH + f));
    const mentioned = unreached.filter((f) => {
      const name = new RegExp(`\\b${f.split(".")[0]}\\b`);
      return [...assets].some(([other, text]) => other !== f && name.test(text));
    });
    expect(mentioned).toEqual([]);
    expect(unreached.length).toBeLessThan(5);
  });

  test("the check catches a CDN script, stylesheet, font @import or module import added to the page", async () => {
    const html = await (await getHtml("/graphql")).text();
    const additions: [string, string][] = [
      [
        '<script src="https://cdn.jsdelivr.net/npm/graphiql/graphiql.min.js"></script>',
        "https://cdn.jsdelivr.net/npm/graphiql/graphiql.min.js",
      ],
      [
        '<link rel="stylesheet" href="//unpkg.com/graphiql/graphiql.min.css" />',
        "http://unpkg.com/graphiql/graphiql.min.css",
      ],
      [
        "<style>@import url(https://fonts.googleapis.com/css2?family=Inter);</style>",
        "https://fonts.googleapis.com/css2?family=Inter",
      ],
      ['<script type="module">import x from "https://esm.sh/react";</script>', "https://esm.sh/react"],
    ];
    for (const [addition, url] of additions) {
      const { external } = await crawl(`${origin}/graphql`, html.replace("</head>", `${addition}\n</head>`));
      expect(external, addition).toEqual([`${url} (in ${origin}/graphql)`]);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The IDE in a real browser.

const TIMEOUT = 30_000;
const ideTest = (name: string, fn: () => Promise<void>) => browserTest(name, 4 * TIMEOUT, fn);

/** A fresh headless Chromium with one page, recording what the browser requests and what goes wrong. */
async function openBrowser() {
  const browser = await launchChromium("ide", { timeout: TIMEOUT });
  const { context } = browser;
  context.setDefaultTimeout(TIMEOUT);
  const log = {
    requests: [] as string[],
    failed: [] as string[],
    problems: [] as string[],
    notOk: [] as { url: string; status: number; authorized: boolean; operation?: string }[],
    sockets: [] as { url: string; sent: string[]; received: string[] }[],
  };
  context.on("request", (r) => log.requests.push(r.url()));
  context.on("requestfailed", (r) => log.failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  context.on("response", async (r) => {
    if (r.status() < 400) return;
    const req = r.request();
    const authorized = !!(await req.allHeaders()).authorization;
    log.notOk.push({ url: r.url(), status: r.status(), authorized, operation: req.postDataJSON()?.operationName });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => {
    // "Failed to load resource" errors are the not-OK responses, checked with their URLs.
    if (/Failed to load resource/.test(m.text())) return;
    if (m.type() === "error" || /Content.Security.Policy/i.test(m.text()))
      log.problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => log.problems.push(`page error: ${e.message}`));
  page.on("websocket", (ws) => {
    const s = { url: ws.url(), sent: [] as string[], received: [] as string[] };
    log.sockets.push(s);
    ws.on("framesent", (f) => s.sent.push(String(f.payload)));
    ws.on("framereceived", (f) => s.received.push(String(f.payload)));
  });

  const queryEditor = page.locator(".graphiql-query-editor .monaco-editor .view-lines");
  const ide = {
    page,
    log,
    /** Opens the IDE and waits until GraphiQL has rendered: Monaco in the query editor, the execute button. */
    async open(url: string) {
      const response = await page.goto(url, { waitUntil: "load" });
      expect(response?.status()).toBe(200);
      await queryEditor.waitFor({ state: "visible" });
      await page.locator(".graphiql-execute-button").waitFor({ state: "visible" });
    },
    /** The text of the headers editor, opening its tab. */
    async headersEditor() {
      await page.getByRole("button", { name: "Headers" }).click();
      return page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden) .monaco-editor").last();
    },
    /** Replaces the content of a Monaco editor by what a user types. */
    async replaceText(editor: Locator, text: string) {
      await editor.click();
      await page.keyboard.press("ControlOrMeta+A");
      await page.keyboard.press("Delete");
      await page.keyboard.insertText(text);
    },
    /**
     * Types a query and runs it. GraphiQL parses the editor's text a moment after a change and picks the transport
     * (HTTP, or WebSocket for a subscription) from that parse: for a named operation, wait until the tab is titled
     * with its name, which GraphiQL does with the same parse.
     */
    async run(query: string, operationName?: string) {
      await ide.replaceText(page.locator(".graphiql-query-editor .monaco-editor"), query);
      await expect.poll(async () => squash(await queryEditor.innerText()), { timeout: TIMEOUT }).toBe(query);
      if (operationName)
        await page.locator(".graphiql-tab-active .graphiql-tab-button", { hasText: operationName }).waitFor();
      const execute = page.locator(".graphiql-execute-button");
      // Until that parse GraphiQL still holds the tour's several operations, and the button is a menu of them (a
      // click opens the menu and runs nothing); every query typed here is one operation.
      await expect.poll(() => execute.getAttribute("aria-haspopup"), { timeout: TIMEOUT }).toBeNull();
      if (query.startsWith("subscription")) return execute.click();
      // A query goes out as a POST with the editor's text. On a loaded machine GraphiQL can still be busy with the
      // previous step (the schema re-fetch) and drop the click: the request is what shows the click was taken.
      const sent = (r: Request) => r.method() === "POST" && squash(String(r.postDataJSON()?.query ?? "")) === query;
      for (let click = 1; click <= 3; click++) {
        const request = page.waitForRequest(sent, { timeout: 10_000 }).then(
          () => true,
          () => false,
        );
        await execute.click();
        if (await request) return;
      }
      throw new Error(`three clicks on Execute sent no request for ${query}; ${ide.diagnostics()}`);
    },
    /** What the browser did, for a failure message. */
    diagnostics: () =>
      JSON.stringify({
        notOk: log.notOk,
        failed: log.failed,
        problems: log.problems,
        requests: log.requests.slice(-10),
      }),
    result: async () => squash(await page.locator(".result-window").innerText()),
    close: browser.close,
  };
  return ide;
}

const squash = (s: string) => s.replace(/\s+/g, " ").trim();

describe("in headless Chromium", () => {
  ideTest(
    "the IDE renders, loads only from this server and runs a query and a subscription through the UI",
    async () => {
      const ide = await openBrowser();
      try {
        const { page, log } = ide;
        await ide.open(`${origin}/graphql`);

        // The auth header, typed into the headers editor.
        const authorization = await api.auth("ADMIN", "demo", "ide@demo.test");
        await ide.replaceText(await ide.headersEditor(), JSON.stringify({ authorization }));
        // Introspection at page load had no header (a 401, allowed below); with it the schema loads.
        const introspected = page.waitForResponse(
          (r) => r.request().postDataJSON()?.operationName === "IntrospectionQuery" && r.ok(),
        );
        await page.getByRole("button", { name: "Re-fetch GraphQL schema" }).click();
        await introspected;

        await ide.run("{ viewer { subject } }");
        await expect.poll(ide.result, { timeout: TIMEOUT }).toContain('"subject": "ide@demo.test"');

        // A subscription goes over graphql-ws to ws://<this host>/graphql, authenticated by the same header sent
        // as connection_init payload: the progress of a finished bulk operation is its terminal state, then the
        // stream ends.
        const queued = await api.http<any>("mutation { bulkRestore(ids: []) { id } }");
        const operationId = queued.body.data.bulkRestore.id as string;
        const status = async () =>
          (await api.http<any>("query($id: ID!) { bulkOperation(id: $id) { status } }", { id: operationId })).body.data
            .bulkOperation.status;
        await expect.poll(status, { timeout: TIMEOUT }).toBe("SUCCEEDED");
        await ide.run(
          `subscription Progress { bulkOperationProgress(id: "${operationId}") { operationId status } }`,
          "Progress",
        );
        const frames = () =>
          log.sockets.flatMap((s) => s.received.map((f) => JSON.parse(f) as { type: string; payload?: any }));
        await expect.poll(() => frames().map((f) => f.type), { timeout: TIMEOUT }).toContain("complete");
        expect(log.sockets.map((s) => s.url)).toEqual([`${origin.replace(/^http/, "ws")}/graphql`]);
        expect(JSON.parse(log.sockets[0]!.sent[0]!)).toMatchObject({
          type: "connection_init",
          payload: { authorization },
        });
        expect(frames()).toMatchObject([
          { type: "connection_ack" },
          { type: "next", payload: { data: { bulkOperationProgress: { operationId, status: "SUCCEEDED" } } } },
          { type: "complete" },
        ]);
        await expect
          .poll(ide.result, { timeout: TIMEOUT })
          .toContain(`"operationId": "${operationId}", "status": "SUCCEEDED"`);

        // Everything the browser asked for went to this server, and nothing was refused or failed...
        expect(log.requests).toContain(`${origin}${IDE_STATIC_PATH}ruru.js`);
        expect(log.requests.filter((u) => new URL(u).origin !== origin)).toEqual([]);
        expect(log.failed).toEqual([]);
        expect(log.problems).toEqual([]);
        // ...except introspection sent at page load before the header was entered, and the favicon Chromium asks
        // for on its own (the server has none).
        const unexpected = log.notOk.filter(
          (r) =>
            !(r.url === api.url && r.status === 401 && !r.authorized && r.operation === "IntrospectionQuery") &&
            !(r.url === `${origin}/favicon.ico` && r.status === 404),
        );
        expect(unexpected).toEqual([]);
      } finally {
        await ide.close();
      }
    },
  );

  ideTest(
    "with initialHeaders the IDE starts with them: the schema loads and a query runs without typing a header",
    async () => {
      // The IDE mounted with initialHeaders, as the server does in development; /graphql is forwarded to the API.
      const authorization = await api.auth("VIEWER", "demo", "dev@demo.test");
      const app = express();
      mountIde(app, "/graphql", MODEL, { initialHeaders: { authorization } });
      app.post("/graphql", express.raw({ type: () => true }), async (req, res) => {
        const headers: Record<string, string> = { "content-type": String(req.headers["content-type"]) };
        if (req.headers.authorization) headers.authorization = req.headers.authorization;
        const upstream = await fetch(api.url, { method: "POST", headers, body: req.body as Buffer });
        res.status(upstream.status).type(upstream.headers.get("content-type") ?? "application/json");
        res.send(Buffer.from(await upstream.arrayBuffer()));
      });
      const server = app.listen(0, "127.0.0.1");
      await new Promise((r) => server.once("listening", r));
      const ide = await openBrowser();
      try {
        const { page, log } = ide;
        const devOrigin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        const introspected = page.waitForResponse(
          (r) => r.request().postDataJSON()?.operationName === "IntrospectionQuery",
        );
        await ide.open(`${devOrigin}/graphql`);
        expect((await introspected).status()).toBe(200);
        expect(squash(await (await ide.headersEditor()).innerText())).toContain(authorization);

        await ide.run("{ viewer { subject role } }");
        await expect.poll(ide.result, { timeout: TIMEOUT }).toContain('"subject": "dev@demo.test", "role": "VIEWER"');

        expect(log.requests.filter((u) => new URL(u).origin !== devOrigin)).toEqual([]);
        expect(log.failed).toEqual([]);
        expect(log.problems).toEqual([]);
        expect(log.notOk.filter((r) => r.url !== `${devOrigin}/favicon.ico`)).toEqual([]);
      } finally {
        await ide.close();
        await new Promise((r) => server.close(r));
      }
    },
  );
});
