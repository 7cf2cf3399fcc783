/**
 * CORS_ORIGINS: a browser page on an allowed origin calls the API (preflight, credentials, readable
 * x-request-id); other origins get no CORS headers and a refused preflight; Apollo's CSRF prevention still
 * refuses simple (non-preflighted) requests. Checked over raw HTTP and live from a page served on another port
 * in headless Chromium (Debian's /usr/bin/chromium).
 */
import { createServer, request, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { browserTest, launchChromium } from "../support/chromium.js";
import { startTestApi, type TestApi } from "../support/api.js";

/** A page server on its own port: another origin than the API. */
function pageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.setHeader("content-type", "text/html");
    res.end("<!doctype html><title>client</title><p>another origin</p>");
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({ server, origin: `http://127.0.0.1:${port}` });
    }),
  );
}

let api: TestApi;
let allowed: { server: Server; origin: string };
let other: { server: Server; origin: string };
beforeAll(async () => {
  allowed = await pageServer();
  other = await pageServer();
  api = await startTestApi({ corsOrigins: [allowed.origin, "https://app.example.test"] });
});
afterAll(async () => {
  await api?.close();
  for (const s of [allowed, other]) await new Promise((r) => s?.server.close(r));
});

/** A raw request (fetch would not let a test set Origin freely). */
function raw(method: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request(api.url, { method, headers }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("over HTTP", () => {
  test("an allowed origin's preflight is answered with credentials, methods and the asked headers", async () => {
    const r = await raw("OPTIONS", {
      origin: allowed.origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type",
    });
    expect(r.status).toBe(204);
    expect(r.headers["access-control-allow-origin"]).toBe(allowed.origin);
    expect(r.headers["access-control-allow-credentials"]).toBe("true");
    expect(r.headers["access-control-allow-methods"]).toContain("POST");
    expect(r.headers["access-control-allow-headers"]).toBe("authorization,content-type");
    expect(r.headers.vary).toContain("Origin");
  });

  test("an allowed origin's request may read x-request-id", async () => {
    const r = await raw(
      "POST",
      { origin: allowed.origin, "content-type": "application/json", authorization: await api.auth() },
      JSON.stringify({ query: "{ viewer { subject } }" }),
    );
    expect(r.status).toBe(200);
    expect(r.headers["access-control-allow-origin"]).toBe(allowed.origin);
    expect(r.headers["access-control-expose-headers"]).toBe("x-request-id");
    expect(r.headers["x-request-id"]).toBeTruthy();
  });

  test("another origin gets a refused preflight (403 GraphQL JSON) and no CORS headers", async () => {
    const pre = await raw("OPTIONS", { origin: other.origin, "access-control-request-method": "POST" });
    expect(pre.status).toBe(403);
    expect(pre.headers["access-control-allow-origin"]).toBeUndefined();
    expect(JSON.parse(pre.body).errors[0].extensions.code).toBe("FORBIDDEN");
    const post = await raw(
      "POST",
      { origin: other.origin, "content-type": "application/json", authorization: await api.auth() },
      JSON.stringify({ query: "{ __typename }" }),
    );
    expect(post.headers["access-control-allow-origin"]).toBeUndefined();
  });

  test("CSRF prevention stays on for an allowed origin: a simple text/plain POST or a bare GET is refused", async () => {
    const auth = await api.auth();
    const post = await raw(
      "POST",
      { origin: allowed.origin, "content-type": "text/plain", authorization: auth },
      JSON.stringify({ query: "{ viewer { subject } }" }),
    );
    expect(post.status).toBe(400);
    expect(post.body).not.toContain("admin@demo.test");
    const get = await new Promise<number>((resolve, reject) => {
      const req = request(`${api.url}?query=${encodeURIComponent("{ viewer { subject } }")}`, {
        headers: { origin: allowed.origin, authorization: auth },
      });
      req.on("response", (res) => (res.resume(), resolve(res.statusCode!)));
      req.on("error", reject);
      req.end();
    });
    expect(get).toBe(400);
  });
});

browserTest("from a page on another port in headless Chromium", 120_000, async () => {
  const { context, close } = await launchChromium("cors", { timeout: 30_000 });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const call = (origin: string) =>
      page.goto(origin).then(() =>
        page.evaluate(
          async ({ url, authorization }) => {
            try {
              const res = await fetch(url, {
                method: "POST",
                credentials: "include",
                headers: { "content-type": "application/json", authorization },
                body: JSON.stringify({ query: "{ viewer { subject } }" }),
              });
              return { status: res.status, requestId: res.headers.get("x-request-id"), body: await res.json() };
            } catch (err) {
              return { error: String(err) };
            }
          },
          { url: api.url, authorization: auth },
        ),
      );
    const auth = await api.auth();
    const ok = (await call(allowed.origin)) as { status: number; requestId: string | null; body: any };
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ data: { viewer: { subject: "admin@demo.test" } } });
    expect(ok.requestId).toMatch(/^[\w-]{8,}$/);
    const refused = (await call(other.origin)) as { error?: string };
    expect(refused.error).toMatch(/Failed to fetch/);
  } finally {
    await close();
  }
});
