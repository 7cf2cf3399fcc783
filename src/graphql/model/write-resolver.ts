/**
 * The write mutations generated from the domain model: `create<Entity>(input:)` and `update<Entity>(id:, input:)`
 * for entities declaring inputs, and the add/remove mutations of pivot entities (e.g. `assignTask`).
 */
import { and, eq, or } from "drizzle-orm";
import { Arg, Authorized, Ctx, ID, Mutation, Resolver, type ClassType } from "type-graphql";
import type { DomainModel, EntityTypeInfo, PivotMutationInfo } from "../../domain/domain-model.js";
import { NotFoundError } from "../../engine/errors.js";
import { isUuid } from "../../engine/sql.js";
import type { Context } from "../context.js";
import { fromGlobalId } from "../ids.js";
import { VALIDATE } from "../inputs/validate.js";
import { toNode } from "../nodes.js";
import { SoftDeletePayload } from "../types/payloads.types.js";
import { decorateClass, defineMethod, namedClass } from "./decorate.js";
import { buildInput } from "./inputs.js";
import type { EntityClasses } from "./object-types.js";

/** Copies the given fields of an input, turning global ids into row ids (BAD_USER_INPUT naming the field). */
function values(info: EntityTypeInfo, input: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const target = info.references.get(key);
    out[key] = target && typeof value === "string" ? fromGlobalId(value, key, [target]).id : value;
  }
  return out;
}

/** The id of the caller's own person row (its subject field equals the token subject), or null. */
async function callerPerson(model: DomainModel, ctx: Context): Promise<string | null> {
  const person = model.personalData;
  if (!person) return null;
  const table = model.type(person.person).table as unknown as Record<string, never>;
  const subject = ctx.viewer.subject;
  // A subject names a person by one of these fields (the same rule as ensureActor's).
  const matches = person.subjects.filter((f) => f !== "id" || isUuid(subject)).map((f) => eq(table[f]!, subject));
  if (!matches.length) return null;
  const [me] = await ctx.engine.findWhere(person.person, ctx.op, "ALL", or(...matches)!, 1);
  return me?.id ?? null;
}

function addWrites(model: DomainModel, Write: ClassType, info: EntityTypeInfo, type: ClassType) {
  const Create = buildInput(info, "create");
  const Update = buildInput(info, "update");
  const callerDefaults = info.inputs.filter((f) => f.create && f.defaultsToCaller).map((f) => f.name);
  if (Create) {
    defineMethod(
      Write,
      `create${info.name}`,
      async (input: object, ctx: Context) => {
        const given = values(info, input);
        for (const field of callerDefaults)
          if (given[field] === undefined) given[field] = await callerPerson(model, ctx);
        return toNode(info.name, await ctx.engine.create(info.name, ctx.op, given));
      },
      [Arg("input", () => Create, { validate: VALIDATE }), Ctx()],
      [Authorized("EDITOR"), Mutation(() => type)],
    );
  }
  if (Update) {
    defineMethod(
      Write,
      `update${info.name}`,
      async (id: string, input: object, ctx: Context) => {
        const row = await ctx.engine.update(
          info.name,
          ctx.op,
          fromGlobalId(id, "id", [info.name]).id,
          values(info, input),
        );
        return toNode(info.name, row);
      },
      [Arg("id", () => ID), Arg("input", () => Update, { validate: VALIDATE }), Ctx()],
      [Authorized("EDITOR"), Mutation(() => type)],
    );
  }
}

function addPivotWrites(model: DomainModel, Write: ClassType, m: PivotMutationInfo, type: ClassType) {
  const info = model.type(m.entity);
  const [a, b] = m.columns;
  const ids = (x: string, y: string) => values(info, { [a]: x, [b]: y }) as Record<string, string>;
  defineMethod(
    Write,
    m.add.field,
    async (x: string, y: string, ctx: Context) =>
      toNode(info.name, await ctx.engine.create(info.name, ctx.op, ids(x, y))),
    [Arg(a, () => ID), Arg(b, () => ID), Ctx()],
    [Authorized("EDITOR"), Mutation(() => type, m.add.description ? { description: m.add.description } : {})],
  );
  defineMethod(
    Write,
    m.remove.field,
    async (x: string, y: string, ctx: Context, reason?: string | null) => {
      const given = ids(x, y);
      const table = info.table as unknown as Record<string, never>;
      const [live] = await ctx.engine.findWhere(
        info.name,
        ctx.op,
        "LIVE",
        and(eq(table[a]!, given[a]), eq(table[b]!, given[b]))!,
        1,
      );
      if (!live) throw new NotFoundError(info.name, `${x}/${y}`);
      const result = await ctx.engine.softDelete(info.name, ctx.op, live.id, { reason });
      return { ...result, node: toNode(info.name, result.row) };
    },
    [Arg(a, () => ID), Arg(b, () => ID), Ctx(), Arg("reason", () => String, { nullable: true })],
    [
      Authorized("EDITOR"),
      Mutation(() => SoftDeletePayload, m.remove.description ? { description: m.remove.description } : {}),
    ],
  );
}

/** One resolver class holding every generated write mutation. */
export function buildWriteResolver(model: DomainModel, classes: Map<string, EntityClasses>): ClassType {
  const Write = namedClass("WriteResolver");
  for (const info of model.types.values()) addWrites(model, Write, info, classes.get(info.name)!.type);
  for (const m of model.pivotMutations) addPivotWrites(model, Write, m, classes.get(m.entity)!.type);
  decorateClass(Write, [Resolver()]);
  return Write;
}
