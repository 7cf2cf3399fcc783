/**
 * The read compiler: the selection of one root read field becomes ONE SQL statement whose single value is the
 * field's JSON answer as text, built by PostgreSQL (concatenation and string_agg: json_build_object looked up every
 * argument's type on every row and cost a quarter of the statement), one correlated subquery per relation.
 *
 * Invariants kept here:
 * - Same semantics as the resolvers: arguments are read and checked by the very functions the resolvers call
 *   (`requestedVisibility`, `pageArgs`, `fromGlobalId`), rows are admitted by `visibleRows` (the one visibility
 *   rule, tenant included) at every level, pages are keyset pages ordered by (created_at, id) of `first + 1` rows,
 *   many-to-many pages read their pivot rows with the field's visibility, and `totalCount`, cursors and page info
 *   are computed only when selected.
 * - Never an error of its own: anything the compiler does not know (a field, a type, introspection) or that would
 *   make the resolvers raise an error (FORBIDDEN, a bad id, cursor or `first`) makes `compileRead` return null,
 *   and the operation runs through the resolvers, which answer exactly as they always did.
 */
import {
  getArgumentValues,
  getNamedType,
  isLeafType,
  isObjectType,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { collectFields, collectSubfields } from "graphql/execution/collectFields.js";
import { and, sql, type SQL } from "drizzle-orm";
import { alias, type PgColumn } from "drizzle-orm/pg-core";
import type { Cursor } from "../../engine/read.js";
import type { SoftDeletableTable } from "../../engine/registry.js";
import { visibleRows } from "../../engine/visibility.js";
import { pageArgs } from "../args.js";
import type { Context } from "../context.js";
import { fromGlobalId } from "../ids.js";
import { requestedVisibility } from "../visibility.js";
import {
  cursorSql,
  dateTimeSql,
  globalIdSql,
  jsonNullable,
  jsonObject,
  jsonSafeString,
  jsonValue,
  nameString,
} from "./json-sql.js";
import type { ReadModel, ReadRelation, ReadType } from "./read-model.js";

/** A compiled root field: its response key and the statement whose one row's `j` column is its value. */
export interface CompiledField {
  key: string;
  statement: SQL | undefined;
  /** The value when no statement is needed (`__typename`). */
  constant?: unknown;
}

/** Thrown inside the compiler to give up on an operation; never escapes `compileRead`. */
class NotCompilable extends Error {}
const giveUp = (why: string): never => {
  throw new NotCompilable(why);
};

/** Keys per object: a bound on the statement's size for one selection set. */
const MAX_KEYS = 50;

type Table = SoftDeletableTable & Record<string, PgColumn>;

class Compiler {
  private aliases = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly model: ReadModel,
    private readonly fragments: Record<string, FragmentDefinitionNode>,
    private readonly variables: Record<string, unknown>,
    private readonly ctx: Context,
  ) {}

  private args(def: GraphQLField<unknown, unknown>, node: FieldNode): Record<string, unknown> {
    return getArgumentValues(def, node, this.variables);
  }

  private readType(name: string): ReadType {
    return this.model.type(name) ?? giveUp(`type ${name} is not in the read model`);
  }

  private readonly names = new Map<Table, { alias: string; table: string }>();
  /** The fields of each alias the statement reads: a page's derived table selects only these. */
  private readonly used = new Map<Table, Set<string>>();

  /** `row[field]`, remembered as read. */
  private col(row: Table, field: string): PgColumn {
    const column = row[field] ?? giveUp(`no column ${field}`);
    let fields = this.used.get(row);
    if (!fields) this.used.set(row, (fields = new Set()));
    fields.add(field);
    return column;
  }

  /** A fresh alias of `type`'s table: nested levels may read the same table (comments → replies). */
  private nextAlias(type: ReadType): Table {
    const name = `r${++this.aliases}`;
    const table = alias(type.entity.table, name) as unknown as Table;
    this.names.set(table, { alias: name, table: type.entity.tableName });
    return table;
  }

  private nameOf(row: Table): SQL {
    return sql`${sql.identifier(this.names.get(row)?.alias ?? giveUp("unaliased table"))}`;
  }

  /** `"table" AS "alias"`, for FROM lists. */
  private from(row: Table): SQL {
    const names = this.names.get(row) ?? giveUp("unaliased table");
    return sql`${sql.identifier(names.table)} AS ${sql.identifier(names.alias)}`;
  }

  /** The page row number `__n` of the derived table `row`. */
  private n(row: Table): SQL {
    return sql`${this.nameOf(row)}.${sql.identifier("__n")}`;
  }

  private subfields(type: GraphQLObjectType, nodes: readonly FieldNode[]) {
    const fields = collectSubfields(this.schema, this.fragments, this.variables, type, nodes);
    if (fields.size > MAX_KEYS) giveUp("too many keys in one selection set");
    return fields;
  }

  private static build(parts: [string, SQL][]): SQL {
    return jsonObject(parts);
  }

  /** The JSON object of the row `row` (an alias of `type`'s table) for the selection `nodes`. */
  private object(type: ReadType, row: Table, nodes: readonly FieldNode[]): SQL {
    const gqlType = this.schema.getType(type.name);
    if (!isObjectType(gqlType)) return giveUp(`${type.name} is not an object type`);
    const parts: [string, SQL][] = [];
    for (const [key, fieldNodes] of this.subfields(gqlType, nodes)) {
      const node = fieldNodes[0]!;
      const name = node.name.value;
      if (name === "__typename") {
        parts.push([key, nameString(type.name)]);
        continue;
      }
      const def = gqlType.getFields()[name] ?? giveUp(`unknown field ${type.name}.${name}`);
      const relation = type.relations[name];
      if (relation) {
        parts.push([key, this.relation(relation, row, def, node, fieldNodes)]);
        continue;
      }
      const scalar = type.scalar(name);
      if (!scalar || !isLeafType(getNamedType(def.type))) return giveUp(`${type.name}.${name} is not a known scalar`);
      const column = this.col(row, name);
      parts.push([
        key,
        scalar.kind === "globalId"
          ? jsonSafeString(globalIdSql(type.name, column))
          : scalar.kind === "dateTime"
            ? jsonNullable(jsonSafeString(dateTimeSql(column)))
            : jsonValue(column),
      ]);
    }
    return Compiler.build(parts);
  }

  private relation(
    relation: ReadRelation,
    parent: Table,
    def: GraphQLField<unknown, unknown>,
    node: FieldNode,
    nodes: readonly FieldNode[],
  ): SQL {
    const args = this.args(def, node) as { includeDeleted: boolean; first?: number; after?: string | null };
    const visibility = requestedVisibility(this.ctx, args);
    const target = this.readType(relation.target);
    if (relation.kind === "one") {
      const row = this.nextAlias(target);
      const fk = this.col(parent, relation.column);
      return jsonNullable(sql`(SELECT ${this.object(target, row, nodes)} FROM ${this.from(row)}
        WHERE ${visibleRows(row, this.ctx.op.organizationId, visibility, sql`${row.id} = ${fk}`)})`);
    }
    const page = pageArgs(args as { first: number; after?: string | null });
    const connection = unwrapObject(def);
    if (relation.kind === "many") {
      const link = (row: Table) => sql`${row[relation.column]} = ${this.col(parent, "id")}`;
      return this.connection(connection, target, page, nodes, (row, extra) => ({
        from: this.from(row),
        where: visibleRows(row, this.ctx.op.organizationId, visibility, link(row), extra),
      }));
    }
    const pivotType = this.readType(relation.pivot);
    return this.connection(connection, target, page, nodes, (row, extra) => {
      const pivot = this.nextAlias(pivotType);
      return {
        from: sql`${this.from(pivot)} JOIN ${this.from(row)} ON ${row.id} = ${pivot[relation.targetColumn]}`,
        where: sql`${visibleRows(pivot, this.ctx.op.organizationId, visibility, sql`${pivot[relation.parentColumn]} = ${this.col(parent, "id")}`)}
          AND ${visibleRows(row, this.ctx.op.organizationId, visibility, extra)}`,
      };
    });
  }

  /**
   * A connection's JSON: a keyset page of `first + 1` rows numbered by `__n` (the extra row only tells
   * `hasNextPage`), aggregated into edges; `totalCount` is its own count over the same rows without the cursor.
   * `source(row, extra)` gives the FROM and WHERE of the rows, `extra` being the cursor condition.
   */
  connection(
    connection: GraphQLObjectType,
    target: ReadType,
    page: { first: number; after?: Cursor | undefined },
    nodes: readonly FieldNode[],
    source: (row: Table, extra: SQL | undefined) => { from: SQL; where: SQL },
  ): SQL {
    const row = this.nextAlias(target);
    const first = sql.raw(String(page.first));
    const fields = this.subfields(connection, nodes);
    // hasNextPage needs the page's `first + 1`-th row: then the page rows are numbered (`__n`) and the extra row
    // is filtered out of every aggregate. Otherwise the page is `first` rows and no window function runs.
    const numbered = [...fields].some(
      ([, fieldNodes]) =>
        fieldNodes[0]!.name.value === "pageInfo" &&
        [...this.subfields(unwrapObject(connection.getFields().pageInfo!), fieldNodes)].some(
          ([, infoNodes]) => infoNodes[0]!.name.value === "hasNextPage",
        ),
    );
    const order = numbered ? this.n(row) : sql`${row.createdAt}, ${row.id}`;
    const desc = numbered ? sql`${this.n(row)} DESC` : sql`${row.createdAt} DESC, ${row.id} DESC`;
    const within = numbered ? sql` FILTER (WHERE ${this.n(row)} <= ${first})` : sql``;
    const parts: [string, SQL][] = [];
    let paged = false;
    for (const [key, fieldNodes] of fields) {
      const name = fieldNodes[0]!.name.value;
      const def = connection.getFields()[name];
      if (name === "__typename") parts.push([key, nameString(connection.name)]);
      else if (name === "totalCount") {
        const counted = this.nextAlias(target);
        const { from, where } = source(counted, undefined);
        parts.push([key, sql`(SELECT count(*) FROM ${from} WHERE ${where})::text`]);
      } else if (name === "edges" && def) {
        paged = true;
        const edge = unwrapObject(def);
        const edgeParts: [string, SQL][] = [];
        for (const [edgeKey, edgeNodes] of this.subfields(edge, fieldNodes)) {
          const edgeField = edgeNodes[0]!.name.value;
          if (edgeField === "__typename") edgeParts.push([edgeKey, nameString(edge.name)]);
          else if (edgeField === "cursor") edgeParts.push([edgeKey, jsonSafeString(cursorSql(row.createdAt, row.id))]);
          else if (edgeField === "node") edgeParts.push([edgeKey, this.object(target, row, edgeNodes)]);
          else giveUp(`unknown edge field ${edgeField}`);
        }
        parts.push([
          key,
          sql`'[' || coalesce(string_agg(${Compiler.build(edgeParts)}, ',' ORDER BY ${order})${within}, '') || ']'`,
        ]);
      } else if (name === "pageInfo" && def) {
        paged = true;
        const info = unwrapObject(def);
        const infoParts: [string, SQL][] = [];
        const cursor = cursorSql(row.createdAt, row.id);
        for (const [infoKey, infoNodes] of this.subfields(info, fieldNodes)) {
          const infoField = infoNodes[0]!.name.value;
          if (infoField === "__typename") infoParts.push([infoKey, nameString(info.name)]);
          else if (infoField === "hasNextPage")
            infoParts.push([infoKey, sql`CASE WHEN count(*) > ${first} THEN 'true' ELSE 'false' END`]);
          else if (infoField === "hasPreviousPage")
            infoParts.push([infoKey, sql.raw(page.after ? "'true'" : "'false'")]);
          else if (infoField === "startCursor")
            infoParts.push([
              infoKey,
              jsonNullable(jsonSafeString(sql`(array_agg(${cursor} ORDER BY ${order})${within})[1]`)),
            ]);
          else if (infoField === "endCursor")
            infoParts.push([
              infoKey,
              jsonNullable(jsonSafeString(sql`(array_agg(${cursor} ORDER BY ${desc})${within})[1]`)),
            ]);
          else giveUp(`unknown page info field ${infoField}`);
        }
        parts.push([key, Compiler.build(infoParts)]);
      } else giveUp(`unknown connection field ${name}`);
    }
    const after = page.after
      ? sql`(${row.createdAt}, ${row.id}) > (${page.after.at}::timestamptz, ${page.after.id}::uuid)`
      : undefined;
    // Only totalCount (or nothing but __typename): no page to read.
    if (!paged) return Compiler.build(parts);
    const { from, where } = source(row, after);
    // The page's derived table carries only the fields read above it (the order and cursor need id, createdAt).
    const columns = new Set(["id", "createdAt", ...(this.used.get(row) ?? [])]);
    const select = sql.join(
      [...columns].map((field) => sql`${row[field]}`),
      sql`, `,
    );
    // An aggregate without GROUP BY: one row even when the page is empty.
    return sql`(SELECT ${Compiler.build(parts)} FROM (
        SELECT ${select}${numbered ? sql`, row_number() OVER (ORDER BY ${row.createdAt}, ${row.id}) AS ${sql.identifier("__n")}` : sql``}
        FROM ${from} WHERE ${where}
        ORDER BY ${row.createdAt}, ${row.id} LIMIT ${sql.raw(String(page.first + (numbered ? 1 : 0)))}) AS ${this.nameOf(row)})`;
  }

  /** A root field, or undefined when it needs no statement. */
  root(query: GraphQLObjectType, key: string, nodes: readonly FieldNode[]): CompiledField {
    const node = nodes[0]!;
    const name = node.name.value;
    if (name === "__typename") return { key, statement: undefined, constant: query.name };
    const def = query.getFields()[name] ?? giveUp(`unknown root field ${name}`);
    const args = this.args(def, node) as Record<string, unknown> & { includeDeleted: boolean };
    const org = this.ctx.op.organizationId;
    const root = this.model.root(name) ?? giveUp(`root field ${name} is not compiled`);
    if (root.kind === "list") {
      const visibility = requestedVisibility(this.ctx, args);
      const page = pageArgs(args as unknown as { first: number; after?: string | null });
      // Checked in declaration order, as the resolver reads them.
      const filters = root.filters.flatMap((f) =>
        args[f.arg] ? [{ column: f.column, id: fromGlobalId(String(args[f.arg]), f.arg, [f.target]).id }] : [],
      );
      const target = this.readType(root.type!);
      const expr = this.connection(unwrapObject(def), target, page, nodes, (row, extra) => ({
        from: this.from(row),
        where: visibleRows(
          row,
          org,
          visibility,
          filters.length ? and(...filters.map((f) => sql`${row[f.column]} = ${f.id}`)) : undefined,
          extra,
        ),
      }));
      return { key, statement: sql`SELECT ${expr} AS j` };
    }
    const type =
      root.kind === "node" ? fromGlobalId(String(args.id), "id", this.ctx.engine.registry.names).type : root.type!;
    const { id } = fromGlobalId(String(args.id), "id", [type]);
    const visibility = requestedVisibility(this.ctx, { includeDeleted: args.includeDeleted });
    const target = this.readType(type);
    const row = this.nextAlias(target);
    return {
      key,
      statement: sql`SELECT ${jsonNullable(sql`(SELECT ${this.object(target, row, nodes)} FROM ${this.from(row)}
        WHERE ${visibleRows(row, org, visibility, sql`${row.id} = ${id}::uuid`)})`)} AS j`,
    };
  }
}

function unwrapObject(def: GraphQLField<unknown, unknown>): GraphQLObjectType {
  const type = getNamedType(def.type);
  return isObjectType(type) ? type : giveUp(`${def.name} is not an object field`);
}

/**
 * The statements answering a query operation, one per root field, or null when the operation must run through
 * the resolvers (see the module's invariants). `variables` must be coerced already.
 */
export function compileRead(
  schema: GraphQLSchema,
  model: ReadModel,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  ctx: Context,
): CompiledField[] | null {
  if (operation.operation !== "query") return null;
  const query = schema.getQueryType();
  if (!query) return null;
  try {
    const compiler = new Compiler(schema, model, fragments, variables, ctx);
    const fields = collectFields(schema, fragments, variables, query, operation.selectionSet);
    return [...fields].map(([key, nodes]) => compiler.root(query, key, nodes));
  } catch (err) {
    ctx.log.debug({ reason: err instanceof Error ? err.message : String(err) }, "read not compiled");
    // NotCompilable, or an argument the resolvers would refuse: they will, with the error the client expects.
    return null;
  }
}
