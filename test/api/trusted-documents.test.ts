/**
 * TRUSTED_DOCUMENTS: with the manifest `npm run codegen` writes, the server runs the manifest's operations,
 * named by hash, on HTTP, WebSocket and SSE, and refuses anything else with PERSISTED_QUERY_NOT_FOUND. The typed
 * client of examples/ runs its whole walkthrough that way.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createClient, documentHash, walkthrough } from "../../examples/client.js";
import { ProjectsWithTasksDocument } from "../../examples/gql/graphql.js";
import { TrustedDocuments } from "../../src/server/trusted-documents.js";
import { startTestApi, type TestApi } from "../support/api.js";
import { codeOf } from "../support/graph.js";
import { sseClient, sseResults } from "../support/sse.js";
import { wsClient, wsExec } from "../support/ws.js";

const MANIFEST = fileURLToPath(new URL("../../examples/gql/persisted-documents.json", import.meta.url));
const manifest = JSON.parse(readFileSync(MANIFEST, "utf8")) as Record<string, string>;
const hash = documentHash(ProjectsWithTasksDocument)!;
const variables = { first: 2, tasksFirst: 2 };
const byHash = { variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } };

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ trustedDocuments: TrustedDocuments.load(MANIFEST) });
});
afterAll(() => api.close());

async function post(body: unknown) {
  const res = await fetch(api.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: await api.auth() },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

test("codegen's manifest holds every operation of examples/ and test/e2e/, keyed by the hash in its document", () => {
  expect(manifest[`sha256:${hash}`]).toMatch(/^query ProjectsWithTasks\(/);
  expect(Object.keys(manifest).length).toBeGreaterThanOrEqual(5);
});

describe("over HTTP", () => {
  test("an operation named by hash runs (Apollo's extension, or documentId)", async () => {
    const a = await post(byHash);
    expect(a.status).toBe(200);
    expect(a.body.data.projects.edges.length).toBeGreaterThan(0);
    const b = await post({ documentId: `sha256:${hash}`, variables });
    expect(b.body).toEqual(a.body);
  });

  test("a document not in the manifest, or an unknown hash, is PERSISTED_QUERY_NOT_FOUND and never parsed", async () => {
    const free = await post({ query: "{ viewer { subject } }" });
    expect(free.status).toBe(400);
    expect(codeOf(free.body)).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect(free.body.errors[0].message).toMatch(/only trusted documents/);
    const broken = await post({ query: "{ this is not graphql" });
    expect(codeOf(broken.body)).toBe("PERSISTED_QUERY_NOT_FOUND");
    const unknown = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } });
    expect(unknown.status).toBe(400);
    expect(codeOf(unknown.body)).toBe("PERSISTED_QUERY_NOT_FOUND");
  });

  test("the typed client of examples/ runs its whole walkthrough by hash", async () => {
    const client = createClient({ url: api.url, token: (await api.auth()).slice(7), persisted: true });
    const result = await walkthrough(client);
    expect(result.tasksAfterDelete).not.toContain(result.task.id);
    expect(result.tasksAfterRestore).toContain(result.task.id);
  });
});

test("WebSocket and SSE run the manifest's operations by hash and refuse others the same way", async () => {
  const { client } = wsClient(api.url, await api.auth());
  const sse = sseClient(api.url, await api.auth());
  try {
    const ws = await new Promise<any>((resolve, reject) => {
      let result: unknown;
      client.subscribe(
        { query: "", ...byHash },
        { next: (v) => (result = v), error: reject, complete: () => resolve(result) },
      );
    });
    expect(ws.data.projects.edges.length).toBeGreaterThan(0);
    const overSse = await new Promise<any[]>((resolve, reject) => {
      const results: unknown[] = [];
      sse.subscribe(
        { query: "", ...byHash },
        { next: (v) => void results.push(v), error: reject, complete: () => resolve(results) },
      );
    });
    expect(overSse).toEqual([ws]);

    const refusedWs = await wsExec(client, "{ viewer { subject } }").catch((errors: unknown) => ({ errors }));
    expect(refusedWs.errors[0].extensions.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    const [refusedSse] = await sseResults(sse, "{ viewer { subject } }");
    expect(refusedSse.errors).toEqual(refusedWs.errors);
  } finally {
    await client.dispose();
    sse.dispose();
  }
});

test("a manifest that is not an object of sha256 hashes is refused with its path", () => {
  const dir = mkdtempSync(join(tmpdir(), "trusted-"));
  try {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ abc: "query { x }" }));
    expect(() => TrustedDocuments.load(bad)).toThrow(/bad\.json.*"abc" is not a sha256 hash/);
    expect(() => TrustedDocuments.load(join(dir, "missing.json"))).toThrow(/missing\.json: cannot read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
