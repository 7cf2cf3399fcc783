/**
 * The read compiler answers exactly as the resolvers do. A seeded generator writes random operations over the read
 * schema (lists, single fetches and node; random selections of scalars, to-one, to-many and many-to-many relations;
 * includeDeleted / onlyDeleted; first / after; aliases; named and inline fragments, also on Node and SoftDeletable;
 * variables; @include / @skip), runs each as EDITOR and VIEWER of both demo tenants through two servers on the
 * same database, one with the compiler (the default) and one without it (`readCompiler: false`, READ_COMPILER=off),
 * and compares the JSON answers, errors included. It also checks which path answered: one statement per root field
 * when compiled, and the resolvers for everything they refuse.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Role } from "../../src/auth/roles.js";
import type { App } from "../../src/server/app.js";
import { startResolversApp, startTestApi, type TestApi } from "../support/api.js";
import { must } from "../support/graph.js";
import { COMMON_FIELDS } from "../../src/domain/domain-model.js";
import { prng, type Prng } from "../support/random.js";

let api: TestApi;
let resolvers: App;

beforeAll(async () => {
  api = await startTestApi({ runner: false });
  resolvers = await startResolversApp(api);
});
afterAll(async () => {
  await resolvers.close();
  await api.close();
});

// ------------------------------------------------------------------------------------------------ generator

type TypeName = "User" | "Project" | "Task" | "Comment" | "TaskAssignment";
const COMMON: readonly string[] = COMMON_FIELDS;
const SCALARS: Record<TypeName, string[]> = {
  User: ["email", "name"],
  Project: ["slug", "name", "description"],
  Task: ["title", "description", "status"],
  Comment: ["body"],
  TaskAssignment: [],
};
const TO_ONE: Record<TypeName, [string, TypeName][]> = {
  User: [],
  Project: [["lead", "User"]],
  Task: [["project", "Project"]],
  Comment: [
    ["task", "Task"],
    ["author", "User"],
    ["parent", "Comment"],
  ],
  TaskAssignment: [
    ["task", "Task"],
    ["user", "User"],
  ],
};
const TO_MANY: Record<TypeName, [string, TypeName][]> = {
  User: [
    ["assignedTasks", "Task"],
    ["assignments", "TaskAssignment"],
    ["comments", "Comment"],
  ],
  Project: [["tasks", "Task"]],
  Task: [
    ["comments", "Comment"],
    ["assignees", "User"],
    ["assignments", "TaskAssignment"],
  ],
  Comment: [["replies", "Comment"]],
  TaskAssignment: [],
};

interface Case {
  query: string;
  variables: Record<string, unknown>;
  /** Asks for deleted rows somewhere (a VIEWER gets FORBIDDEN, so the resolvers answer). */
  deleted: boolean;
  /** Has an argument the resolvers refuse (so they answer). */
  invalid: boolean;
  /** Root fields that need a statement. */
  roots: number;
}

/** Ids and cursors to use in arguments: some live, some deleted, some of the other tenant. */
interface Pool {
  ids: Record<TypeName, string[]>;
  cursors: string[];
}

class Generator {
  private vars: string[] = [];
  private variables: Record<string, unknown> = {};
  private fragments: string[] = [];
  deleted = false;
  invalid = false;

  constructor(
    private readonly rng: Prng,
    private readonly pool: Pool,
  ) {}

  private variable(type: string, value: unknown): string {
    const name = `v${this.vars.length}`;
    this.vars.push(`$${name}: ${type}`);
    this.variables[name] = value;
    return `$${name}`;
  }

  /** An argument value, inline or through a variable. */
  private value(type: string, value: unknown): string {
    return this.rng.chance(0.4) ? this.variable(type, value) : JSON.stringify(value);
  }

  private directive(): string {
    if (!this.rng.chance(0.1)) return "";
    const include = this.rng.chance(0.5);
    const on = this.rng.chance(0.5);
    const cond = this.rng.chance(0.5) ? this.variable("Boolean!", on) : String(on);
    return include ? ` @include(if: ${cond})` : ` @skip(if: ${cond})`;
  }

  private key(field: string): string {
    return this.rng.chance(0.15) ? `${this.rng.pick(["a", "b", "x"])}${this.rng.int(1, 9)}: ${field}` : field;
  }

  private pageArgs(list: boolean): string {
    const args: string[] = [];
    const r = this.rng.next();
    if (r < 0.6) args.push(`first: ${this.value("Int", this.rng.int(0, 4))}`);
    else if (r < 0.63) {
      args.push(`first: ${this.value("Int", this.rng.pick([-1, 101]))}`);
      this.invalid = true;
    }
    if (this.rng.chance(0.15)) {
      if (this.rng.chance(0.1)) {
        args.push(`after: ${this.value("String", "bm90IGEgY3Vyc29y")}`);
        this.invalid = true;
      } else args.push(`after: ${this.value("String", this.rng.pick(this.pool.cursors))}`);
    }
    if (this.rng.chance(0.2)) {
      const d = this.rng.chance(0.7);
      args.push(`includeDeleted: ${this.value("Boolean", d)}`);
      this.deleted ||= d;
    }
    if (list && this.rng.chance(0.15)) {
      const d = this.rng.chance(0.8);
      args.push(`onlyDeleted: ${this.value("Boolean", d)}`);
      this.deleted ||= d;
    }
    return args.length ? `(${args.join(", ")})` : "";
  }

  private includeDeletedArg(): string {
    if (!this.rng.chance(0.25)) return "";
    const d = this.rng.chance(0.7);
    this.deleted ||= d;
    return `(includeDeleted: ${this.value("Boolean", d)})`;
  }

  /** A selection on an object of `type`, `depth` levels of relations left. */
  object(type: TypeName, depth: number): string {
    const parts: string[] = [];
    const scalars = [...COMMON, ...SCALARS[type], "__typename"];
    for (const f of scalars) if (this.rng.chance(0.25)) parts.push(`${this.key(f)}${this.directive()}`);
    if (depth > 0) {
      for (const [f, target] of TO_ONE[type])
        if (this.rng.chance(0.3))
          parts.push(
            `${this.key(f)}${this.includeDeletedArg()}${this.directive()} { ${this.object(target, depth - 1)} }`,
          );
      for (const [f, target] of TO_MANY[type])
        if (this.rng.chance(0.3))
          parts.push(
            `${this.key(f)}${this.pageArgs(false)}${this.directive()} { ${this.connection(target, depth - 1)} }`,
          );
    }
    if (this.rng.chance(0.2)) parts.push(`... on SoftDeletable { isDeleted deletedAt }`);
    if (this.rng.chance(0.15)) parts.push(`... on Node { id }`);
    if (this.rng.chance(0.1)) {
      const name = `F${this.fragments.length}`;
      this.fragments.push(`fragment ${name} on ${type} { id ${this.rng.pick(scalars)} }`);
      parts.push(`...${name}`);
    }
    if (!parts.length) parts.push("id");
    return parts.join(" ");
  }

  connection(type: TypeName, depth: number): string {
    const parts: string[] = [];
    if (this.rng.chance(0.4)) parts.push(`${this.key("totalCount")}`);
    if (this.rng.chance(0.3)) {
      const info = ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"].filter(() =>
        this.rng.chance(0.5),
      );
      parts.push(`pageInfo { ${info.length ? info.join(" ") : "hasNextPage"} }`);
    }
    if (!parts.length || this.rng.chance(0.8)) {
      const edge = [`node { ${this.object(type, depth)} }`];
      if (this.rng.chance(0.3)) edge.push("cursor");
      if (this.rng.chance(0.1)) edge.push("__typename");
      parts.push(`${this.key("edges")} { ${edge.join(" ")} }`);
    }
    if (this.rng.chance(0.05)) parts.push("__typename");
    return parts.join(" ");
  }

  root(): { field: string; statement: boolean } {
    const r = this.rng.next();
    const depth = this.rng.int(0, 3);
    if (r < 0.45) {
      const [field, type] = this.rng.pick([
        ["users", "User"],
        ["projects", "Project"],
        ["tasks", "Task"],
      ] as [string, TypeName][]);
      let args = this.pageArgs(true);
      if (field === "tasks" && this.rng.chance(0.3)) {
        const project = `projectId: ${this.value("ID", this.rng.pick(this.pool.ids.Project))}`;
        args = args ? args.replace("(", `(${project}, `) : `(${project})`;
      }
      return { field: `${this.key(field)}${args} { ${this.connection(type, depth)} }`, statement: true };
    }
    if (r < 0.9) {
      const [field, type] = this.rng.pick([
        ["user", "User"],
        ["project", "Project"],
        ["task", "Task"],
        ["comment", "Comment"],
        ["node", "Node"],
      ] as [string, TypeName | "Node"][]);
      const idType =
        type === "Node" ? this.rng.pick(["User", "Project", "Task", "Comment", "TaskAssignment"] as const) : type;
      let id = this.rng.pick(this.pool.ids[idType]);
      if (this.rng.chance(0.04)) {
        id = "not-an-id";
        this.invalid = true;
      }
      const inc = this.includeDeletedArg();
      const args = `(id: ${this.value("ID!", id)}${inc ? `, ${inc.slice(1, -1)}` : ""})`;
      const selection =
        type === "Node" ? `__typename id ... on ${idType} { ${this.object(idType, depth)} }` : this.object(type, depth);
      return { field: `${this.key(field)}${args} { ${selection} }`, statement: true };
    }
    return { field: "__typename", statement: false };
  }

  case(): Case {
    const roots = Array.from({ length: this.rng.int(1, 2) }, () => this.root());
    const head = this.vars.length ? `query Q(${this.vars.join(", ")})` : "query Q";
    return {
      query: `${head} { ${roots.map((r) => r.field).join(" ")} }\n${this.fragments.join("\n")}`,
      variables: this.variables,
      deleted: this.deleted,
      invalid: this.invalid,
      // Fields under one response key merge into one root field.
      roots: new Set(roots.filter((r) => r.statement).map((r) => /^\w+/.exec(r.field)![0])).size,
    };
  }
}

// ------------------------------------------------------------------------------------------------ the corpus

async function idPool(): Promise<Pool> {
  const ids: Record<TypeName, string[]> = { User: [], Project: [], Task: [], Comment: [], TaskAssignment: [] };
  const cursors: string[] = [];
  for (const org of ["demo", "acme"]) {
    const admin = await api.auth("ADMIN", org);
    const data = await must(
      api,
      `{ users(first: 100, includeDeleted: true) { edges { cursor node { id } } }
         tasks(first: 100, includeDeleted: true) { edges { cursor node { id project(includeDeleted: true) { id }
           comments(first: 100, includeDeleted: true) { edges { cursor node { id } } }
           assignments(first: 100, includeDeleted: true) { edges { node { id } } } } } } }`,
      {},
      admin,
    );
    for (const e of data.users.edges) {
      ids.User.push(e.node.id);
      cursors.push(e.cursor);
    }
    for (const e of data.tasks.edges) {
      ids.Task.push(e.node.id);
      cursors.push(e.cursor);
      if (!ids.Project.includes(e.node.project.id)) ids.Project.push(e.node.project.id);
      for (const c of e.node.comments.edges) {
        ids.Comment.push(c.node.id);
        cursors.push(c.cursor);
      }
      for (const a of e.node.assignments.edges) ids.TaskAssignment.push(a.node.id);
    }
  }
  return { ids, cursors };
}

/** The answer as a client reads it; errors sorted, as the resolvers raise them in no fixed order. */
function json(x: unknown): unknown {
  const out = JSON.parse(JSON.stringify(x)) as { errors?: unknown[] };
  out.errors?.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return out;
}

/** Resolves once no statement has been sent for 40 ms. */
async function settled() {
  for (let seen = -1; seen !== api.db.statements.length;) {
    seen = api.db.statements.length;
    await new Promise((r) => setTimeout(r, 40));
  }
}

/** Operations in the corpus; READ_COMPILER_CASES=2000 for a longer hunt. */
const CASES = Number(process.env.READ_COMPILER_CASES ?? 200);

describe("the compiled read path and the resolvers give identical answers", () => {
  test(
    `${CASES} generated operations × EDITOR and VIEWER × two tenants`,
    async () => {
      const pool = await idPool();
      const roles: [Role, string][] = [
        ["EDITOR", "demo"],
        ["VIEWER", "demo"],
        ["EDITOR", "acme"],
        ["VIEWER", "acme"],
      ];
      const tokens = await Promise.all(
        roles.map(([role, org]) => api.auth(role, org, `${role.toLowerCase()}@${org}.test`)),
      );
      // Warm up: a token's first request looks its organization up (then cached).
      for (const t of tokens) await api.exec(`{ __typename }`, {}, t);
      for (const t of tokens) await resolvers.execute({ query: `{ __typename }` }, t);
      let compiled = 0;
      let answered = 0;
      let rejected = 0;
      for (let seed = 1; seed <= CASES; seed++) {
        const c = new Generator(prng(seed), pool).case();
        const i = seed % roles.length;
        const [role] = roles[i]!;
        const token = tokens[i]!;
        // Loads queued by an earlier answer cut short by an error may still be running: let them end first.
        await settled();
        api.db.statements.length = 0;
        const fast = json(await api.exec(c.query, c.variables, token));
        const statements = api.db.statements.length;
        const sent = [...api.db.statements];
        const slow = json(await resolvers.execute({ query: c.query, variables: c.variables }, token));
        const label = `seed ${seed} as ${role}: ${c.query} ${JSON.stringify(c.variables)}`;
        const refused = c.invalid || (c.deleted && role === "VIEWER");
        const nullData = (x: unknown) => (x as { data?: unknown }).data === null;
        if (refused && nullData(slow)) {
          // Both ran through the resolvers: when an error nulls the whole answer, graphql-js returns at once and
          // includes the other root fields' errors only if they came first, so only the codes are compared.
          const codes = (x: unknown) => [
            ...new Set(
              ((x as { errors?: { extensions?: { code?: string } }[] }).errors ?? []).map((e) => e.extensions?.code),
            ),
          ];
          expect(nullData(fast), label).toBe(true);
          expect(codes(fast), label).toEqual(codes(slow));
        } else expect(fast, label).toEqual(slow);
        // Refused before execution on both paths alike: a generated conflict (two fields under one response key)
        // fails validation, a deep one exceeds GRAPHQL_MAX_DEPTH.
        if (!(slow as { data?: unknown }).data && !("data" in (slow as object))) {
          rejected++;
          continue;
        }
        if (!refused) {
          // Compiled: exactly one statement per root field.
          expect(statements, `${label}\n${sent.join("\n")}`).toBe(c.roots);
          compiled++;
        }
        if ((fast as { data?: unknown }).data) answered++;
      }
      // The corpus exercises both paths.
      expect(compiled).toBeGreaterThan(CASES / 2);
      expect(answered).toBeGreaterThan(CASES / 2);
      expect(rejected).toBeLessThan(CASES / 10);
    },
    60_000 + CASES * 500,
  );
});
