/**
 * INTROSPECTION: on (the default outside production) the schema can be read without a token over HTTP, so
 * `graphql-codegen` pointed at the URL works, while everything else still needs one; off (the default in
 * production) introspection is refused on HTTP, WebSocket and SSE alike, and "Did you mean" hints are gone.
 */
import { buildClientSchema, getIntrospectionQuery, type GraphQLSchema } from "graphql";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { introspectionEnabled, loadConfig } from "../../src/config/load-config.js";
import { startTestApi, type TestApi } from "../support/api.js";
import { codeOf } from "../support/graph.js";
import { sseClient, sseResults } from "../support/sse.js";
import { wsClient, wsExec } from "../support/ws.js";

let open: TestApi;
let closed: TestApi;
beforeAll(async () => {
  open = await startTestApi();
  closed = await startTestApi({ introspection: false });
});
afterAll(async () => {
  await open?.close();
  await closed?.close();
});

const typo = `{ viewer { subjec } }`;

describe("on", () => {
  test("the full introspection query runs without a token and describes the served schema", async () => {
    const r = await open.http(getIntrospectionQuery(), undefined, null);
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    const names = (schema: GraphQLSchema) => Object.keys(schema.getTypeMap()).sort();
    expect(names(buildClientSchema(r.body.data))).toEqual(names(open.app.schema));
  });

  test("without a token anything but introspection is still UNAUTHENTICATED (401)", async () => {
    for (const q of [`{ viewer { subject } }`, `{ __typename viewer { subject } }`, `mutation { __typename }`]) {
      const r = await open.http(q, undefined, null);
      expect(r.status).toBe(401);
      expect(codeOf(r.body)).toBe("UNAUTHENTICATED");
    }
  });

  test("validation errors keep their hints", async () => {
    const r = await open.http(typo);
    expect(r.body.errors![0]!.message).toMatch(/Did you mean "subject"\?/);
  });
});

describe("off", () => {
  const schemaQuery = `{ __schema { types { name } } }`;

  test("HTTP refuses introspection with GRAPHQL_VALIDATION_FAILED, and needs a token as for anything", async () => {
    const r = await closed.http(schemaQuery);
    expect(r.status).toBe(400);
    expect(codeOf(r.body)).toBe("GRAPHQL_VALIDATION_FAILED");
    expect((await closed.http(schemaQuery, undefined, null)).status).toBe(401);
  });

  test("WebSocket and SSE refuse it the same way", async () => {
    const { client } = wsClient(closed.url, await closed.auth());
    const ws = await wsExec(client, schemaQuery).catch((errors: unknown) => ({ errors }));
    await client.dispose();
    expect(ws.errors[0].extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
    const sse = sseClient(closed.url, await closed.auth());
    const [result] = await sseResults(sse, schemaQuery);
    sse.dispose();
    expect(result.errors[0].extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(result.errors).toEqual(ws.errors);
  });

  test("no transport suggests field names", async () => {
    const http = await closed.http(typo);
    expect(codeOf(http.body)).toBe("GRAPHQL_VALIDATION_FAILED");
    const { client } = wsClient(closed.url, await closed.auth());
    const ws = await wsExec(client, typo).catch((errors: unknown) => ({ errors }));
    await client.dispose();
    for (const errors of [http.body.errors, ws.errors]) expect(JSON.stringify(errors)).not.toMatch(/Did you mean/);
    // A variable's enum hint is a suggestion too.
    const enumHint = await closed.http(`query($s: BulkOperationStatus) { bulkOperations(status: $s) { totalCount } }`, {
      s: "RUNING",
    });
    expect(codeOf(enumHint.body)).toBe("BAD_USER_INPUT");
    expect(JSON.stringify(enumHint.body)).not.toMatch(/Did you mean/);
  });
});

test("the setting: unset means on outside production and off in production; explicit values win", () => {
  const resolve = (env: Record<string, string>) =>
    introspectionEnabled(loadConfig({ AUTH_SECRET: "x".repeat(32), ...env }));
  expect(resolve({})).toBe(true);
  expect(resolve({ NODE_ENV: "production" })).toBe(false);
  expect(resolve({ NODE_ENV: "production", INTROSPECTION: "true" })).toBe(true);
  expect(resolve({ INTROSPECTION: "false" })).toBe(false);
});
