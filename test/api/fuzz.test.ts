/**
 * A schema-driven fuzz test: every root field (query, mutation, subscription) with every argument, given
 * random, hostile and wrong-typed values, inline and as variables, over HTTP and WebSocket, as ADMIN, EDITOR and
 * VIEWER. Whatever a client sends, the answer is a typed error or data: never an HTTP 5xx, never
 * INTERNAL_SERVER_ERROR, never SQL or stack text, and nothing logged as an unexpected error.
 *
 * Seeded and reproducible: FUZZ_SEED=<n> replays a run (the seed is in the test name); FUZZ_OPERATIONS sets
 * how many operations per transport and style. The sequence is fixed by the seed; a time budget only cuts it
 * short on a very slow machine (and says how many ran).
 */
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from "graphql";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestApi, type TestApi } from "../support/api.js";
import { must } from "../support/graph.js";
import { prng, type Prng } from "../support/random.js";
import { errorsIn, recordingLogger } from "../support/log.js";
import { wsClient } from "../support/ws.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const PER_STYLE = Number(process.env.FUZZ_OPERATIONS ?? 500);
const BUDGET_MS = 180_000;

const b64 = (s: string) => Buffer.from(s).toString("base64url");
const UUID0 = "00000000-0000-4000-8000-000000000000";
const HOSTILE_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "'; DROP TABLE users; --",
  '" OR 1=1 --',
  "Robert'); --",
  "%00%27",
  "\\",
  "\ud800",
  "😀".repeat(50),
  "x".repeat(10_000),
  "<script>alert(1)</script>",
  "${jndi:ldap://x}",
  "__proto__",
  "constructor",
  "null",
  "NaN",
  "-1",
  "9".repeat(40),
  "1e309",
  "2024-02-31",
  "0000-01-01T00:00:00Z",
  "9999999-01-01",
  "not-a-date",
  "2026-12-02T12:00:00.000Z",
  UUID0,
  "not-an-id",
  b64("Task:not-a-uuid"),
  b64(`Nope:${UUID0}`),
  b64(`Task:${UUID0}`),
  b64(JSON.stringify(["0000-01-01", UUID0])),
  b64(JSON.stringify(["1", UUID0])),
  b64(JSON.stringify([5, 5])),
  b64("audit:-1"),
  b64("audit:99999999999999999999"),
];
const HOSTILE_NUMBERS = [
  0,
  -1,
  1,
  2,
  100,
  101,
  -2147483648,
  2147483647,
  2147483648,
  1e12,
  -1e12,
  1.5,
  2 ** 53,
  2 ** 53 + 2,
];

interface Pools {
  ids: string[];
  operationIds: string[];
}

function scalarValue(name: string, r: Prng, pools: Pools): unknown {
  switch (name) {
    case "Int":
    case "SafeInt":
    case "Float":
      return r.chance(0.8) ? r.pick(HOSTILE_NUMBERS) : r.int(0, 19);
    case "Boolean":
      return r.chance(0.5);
    case "ID":
      return r.chance(0.6) ? r.pick(pools.ids) : r.chance(0.5) ? r.pick(pools.operationIds) : r.pick(HOSTILE_STRINGS);
    case "DateTime":
      return r.pick(["2026-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z", ...HOSTILE_STRINGS.slice(18, 26)]);
    default:
      return r.pick(HOSTILE_STRINGS);
  }
}

/** Something of another kind than `type` expects. */
function wrongValue(r: Prng): unknown {
  return r.pick([true, 42, -0.5, "wrong", [], [1, "a"], {}, { a: 1 }, null]);
}

function inputValue(type: GraphQLInputType, r: Prng, pools: Pools, depth = 0): unknown {
  if (r.chance(0.07)) return wrongValue(r);
  if (isNonNullType(type)) return r.chance(0.04) ? null : inputValue(type.ofType, r, pools, depth);
  if (r.chance(0.1)) return null;
  if (isListType(type)) {
    if (r.chance(0.1)) return inputValue(type.ofType, r, pools, depth + 1); // a single value for a list
    return Array.from({ length: r.int(0, 3) }, () => inputValue(type.ofType, r, pools, depth + 1));
  }
  if (isEnumType(type)) return r.chance(0.8) ? r.pick(type.getValues()).name : r.pick(["NOPE", "task", ""]);
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    if (depth > 3) return out;
    for (const field of Object.values(type.getFields())) {
      const required = isNonNullType(field.type);
      if (required ? r.chance(0.95) : r.chance(0.6)) out[field.name] = inputValue(field.type, r, pools, depth + 1);
    }
    if (r.chance(0.05)) out.unknownField = "x";
    return out;
  }
  if (isScalarType(type)) return scalarValue(type.name, r, pools);
  return null;
}

/** A GraphQL literal for `value`; enum-looking strings sometimes bare (as enum literals). */
function literal(value: unknown, r: Prng): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "0";
  if (typeof value === "string") return /^[A-Z][A-Z_]*$/.test(value) && r.chance(0.8) ? value : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => literal(v, r)).join(", ")}]`;
  return `{ ${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${literal(v, r)}`)
    .join(", ")} }`;
}

/** A small selection: __typename and a few leaf fields without required arguments. */
function selection(type: GraphQLOutputType, r: Prng, depth = 0): string {
  const named = getNamedType(type);
  if (isScalarType(named) || isEnumType(named)) return "";
  const parts = ["__typename"];
  if (isObjectType(named) || isInterfaceType(named)) {
    const fields = Object.values(named.getFields()).filter((f) => !f.args.some((a) => isNonNullType(a.type)));
    for (const f of fields) {
      const leaf = getNamedType(f.type);
      if ((isScalarType(leaf) || isEnumType(leaf)) && r.chance(0.5)) parts.push(f.name);
      else if (depth < 1 && isObjectType(leaf) && r.chance(0.15)) {
        const sub = selection(f.type, r, depth + 1);
        if (sub) parts.push(`${f.name} ${sub}`);
      }
    }
  } else if (isUnionType(named)) parts.push("... on Node { id }");
  return `{ ${parts.join(" ")} }`;
}

interface Case {
  kind: "query" | "mutation" | "subscription";
  field: string;
  query: string;
  variables?: Record<string, unknown>;
}

function makeCase(schema: GraphQLSchema, r: Prng, pools: Pools, asVariables: boolean, streaming: boolean): Case {
  const roots = [
    ["query", schema.getQueryType()],
    ["mutation", schema.getMutationType()],
    ...(streaming ? [["subscription", schema.getSubscriptionType()] as const] : []),
  ] as const;
  const [kind, root] = r.pick(roots.filter(([, t]) => t));
  const field: GraphQLField<unknown, unknown> = r.pick(Object.values(root!.getFields()));
  const args = field.args.filter((a: GraphQLArgument) => isNonNullType(a.type) || r.chance(0.7));
  const sel = selection(field.type, r);
  if (!asVariables) {
    const text = args.map((a) => `${a.name}: ${literal(inputValue(a.type, r, pools), r)}`).join(", ");
    return { kind, field: field.name, query: `${kind} { ${field.name}${text ? `(${text})` : ""} ${sel} }` };
  }
  const variables: Record<string, unknown> = {};
  const defs = args.map((a, i) => `$v${i}: ${String(a.type)}`).join(", ");
  args.forEach((a, i) => {
    if (r.chance(0.97)) variables[`v${i}`] = inputValue(a.type, r, pools);
  });
  const uses = args.map((a, i) => `${a.name}: $v${i}`).join(", ");
  return {
    kind,
    field: field.name,
    query: `${kind}${defs ? `(${defs})` : ""} { ${field.name}${uses ? `(${uses})` : ""} ${sel} }`,
    variables,
  };
}

/** Text only a server-side failure would put in a response. */
const LEAK =
  /Failed query|params:|\$\d\b|SELECT [^"]{0,200} FROM|INSERT INTO|UPDATE [a-z_"]+ SET|relation "|violates|at [\w.$<> ]+ \(|node_modules|\.(?:ts|js):\d+:\d+|Unexpected error/;

const { log, records } = recordingLogger();
let api: TestApi;
let pools: Pools;
beforeAll(async () => {
  api = await startTestApi({ log, bulk: { pauseMs: 0 } });
  const read = await must(
    api,
    `{ users(first: 5) { edges { node { id } } }
       projects(first: 5) { edges { node { id tasks(first: 5, includeDeleted: true) { edges { node { id
         comments(first: 3) { edges { node { id } } } assignments(first: 3) { edges { node { id } } } } } } } } } }`,
  );
  const ids = JSON.stringify(read)
    .match(/"id":"([^"]+)"/g)!
    .map((m) => m.slice(6, -1));
  const acme = await api.auth("ADMIN", "acme");
  const foreign = await must(api, `{ projects(first: 2) { edges { node { id } } } }`, undefined, acme);
  ids.push(...foreign.projects.edges.map((e: any) => e.node.id));
  const bulk = await must(api, `mutation($id: [ID!]) { bulkSoftDelete(ids: $id) { id } }`, { id: [ids[0]] });
  pools = { ids, operationIds: [bulk.bulkSoftDelete.id, UUID0] };
});
afterAll(() => api?.close());

test(
  `seed ${SEED}: ${PER_STYLE} operations per style (HTTP/WebSocket x inline/variables), no 5xx, no INTERNAL_SERVER_ERROR, no leak`,
  { timeout: BUDGET_MS + 60_000 },
  async () => {
    const r = prng(SEED);
    const auths = {
      ADMIN: await api.auth("ADMIN"),
      EDITOR: await api.auth("EDITOR"),
      VIEWER: await api.auth("VIEWER"),
    };
    const sockets = Object.fromEntries(
      Object.entries(auths).map(([role, a]) => [role, wsClient(api.url, a).client]),
    ) as Record<keyof typeof auths, ReturnType<typeof wsClient>["client"]>;
    const failures: string[] = [];
    const codes = new Map<string, number>();
    const fields = new Set<string>();
    let ran = 0;
    const deadline = Date.now() + BUDGET_MS;
    const check = (c: Case, transport: string, status: number, text: string) => {
      ran++;
      fields.add(`${c.kind}.${c.field}`);
      for (const m of text.matchAll(/"code":"([A-Z_]+)"/g)) codes.set(m[1]!, (codes.get(m[1]!) ?? 0) + 1);
      const problem =
        status >= 500
          ? `HTTP ${status}`
          : /INTERNAL_SERVER_ERROR/.test(text)
            ? "INTERNAL_SERVER_ERROR"
            : LEAK.exec(text)?.[0];
      if (problem && failures.length < 20)
        failures.push(
          `${transport} ${problem}: ${c.query.slice(0, 300)} ${JSON.stringify(c.variables ?? {}).slice(0, 300)} -> ${text.slice(0, 300)}`,
        );
    };
    try {
      for (const [transport, asVariables] of [
        ["http", false],
        ["http", true],
        ["ws", false],
        ["ws", true],
      ] as const) {
        for (let i = 0; i < PER_STYLE && Date.now() < deadline; i++) {
          const role = r.chance(0.7) ? "ADMIN" : r.pick(["EDITOR", "VIEWER"] as const);
          const c = makeCase(api.app.schema, r, pools, asVariables, transport === "ws");
          if (transport === "http") {
            const res = await fetch(api.url, {
              method: "POST",
              headers: { "content-type": "application/json", authorization: auths[role] },
              body: JSON.stringify({ query: c.query, variables: c.variables }),
            });
            check(c, "http", res.status, await res.text());
          } else {
            const result = await new Promise<unknown>((resolve) => {
              let done = false;
              let unsubscribe = () => {};
              const finish = (v: unknown) => {
                if (done) return;
                done = true;
                unsubscribe();
                resolve(v);
              };
              unsubscribe = sockets[role].subscribe(
                { query: c.query, ...(c.variables ? { variables: c.variables } : {}) },
                { next: (v) => finish(v), error: (e) => finish({ errors: e }), complete: () => finish({}) },
              );
              // A live subscription may stay silent; its first event (or none) is enough here.
              if (c.kind === "subscription") setTimeout(() => finish({}), 300);
            });
            check(c, "ws", 200, JSON.stringify(result));
          }
        }
      }
    } finally {
      await Promise.all(Object.values(sockets).map((s) => s.dispose()));
    }
    process.stdout.write(
      `fuzz seed ${SEED}: ${ran} operations over ${fields.size} root fields; codes ${JSON.stringify(Object.fromEntries(codes))}\n`,
    );
    expect(failures, `replay with FUZZ_SEED=${SEED}`).toEqual([]);
    expect(errorsIn(records).map((e) => `${e.msg}: ${JSON.stringify(e.err).slice(0, 300)}`)).toEqual([]);
    // Every root field was reached, in every style that serves it.
    const roots = [
      api.app.schema.getQueryType()!,
      api.app.schema.getMutationType()!,
      api.app.schema.getSubscriptionType()!,
    ];
    const all = roots.flatMap((t) =>
      Object.keys(t.getFields()).map(
        (f) => `${t === roots[0] ? "query" : t === roots[1] ? "mutation" : "subscription"}.${f}`,
      ),
    );
    if (ran === 4 * PER_STYLE) expect([...all].filter((f) => !fields.has(f))).toEqual([]);
  },
);
