/**
 * Erasure of a person (the right to erasure): irreversibly removes their personal data while the organization's
 * work and the audit trail stay, linkable but no longer identifying. What is personal is declared once (see
 * src/domain/personal-data.ts), not coded here.
 *
 * Invariants kept here:
 * - The audit trail is never updated. It never held the person's data: entries point at actor rows, and
 *   erasure blanks those (subject → `erased:<actor id>`), so every entry still counts the person's actions.
 * - Text the application writes during an erasure (its reason, in the audit trail and on deleted rows) is
 *   scrubbed of the person's name and email first. Free text an operator typed earlier into a reason is in the
 *   append-only audit trail verbatim and stays there: reasons must not name people (README, "Erasure").
 * - Only what is declared is written: the person's identifying fields, their authored content, the subject
 *   columns holding exactly their subject, and the declared free-text fields of rows THEY wrote (or deleted, for
 *   the deletion reason). Never an undeclared column (an enumeration such as a task's status equal to the
 *   person's name), and never another person's row because its text happens to contain the name.
 * - One transaction: an erasure happens completely or not at all. Erasing again changes nothing and says so
 *   (the first erasure's ERASE audit entry is the record).
 */
import { sql, type SQL } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { defaultOf } from "../config/settings.js";
import { auditFrom, type AuditInfo } from "./audit.js";
import { cascadeSoftDelete, softDeleteWhere } from "./cascade.js";
import type { OperationContext } from "./context.js";
import type { SoftDeleteEngine } from "./engine.js";
import { DeclarationError, InvalidInputError, NotFoundError } from "./errors.js";
import type { Entity, RelationDeclaration, Registry } from "./registry.js";
import { columnOf, mapRow, type Row } from "./rows.js";
import { c, isUuid, rows, t, textArray, uuidArray } from "./sql.js";
import { boundedReason } from "./reason.js";

/** What counts as a person's personal data, and what erasure does with each part. */
export interface PersonalDataDeclaration {
  /** The entity type that is a person, e.g. "User". */
  person: string;
  /**
   * The person's identifying fields and the value each becomes (given the row id). Their former values are
   * also searched for, and replaced, in free text everywhere in the organization.
   * @example { email: (id) => `erased-${id}@invalid`, name: () => "Erased user" }
   */
  identifying: Record<string, (id: string) => string>;
  /** Fields whose value may be the person's token subject (written into created_by, updated_by, deleted_by). */
  subjects: string[];
  /** Rows the person wrote whose content goes: a relation from the person, and each field's replacement. */
  authored: { relation: string; replace: Record<string, string> }[];
  /** Relations from the person whose child rows are only about the person: hard-deleted. */
  removed: string[];
  /**
   * Free-text fields people type, as `Type.field`. In rows the person created or last updated, their name and
   * email are replaced there by `[erased]`; the deletion reason of rows they deleted is scrubbed likewise.
   * @example ["Task.title", "Task.description"]
   */
  freeText: string[];
}

export type ErasureAction =
  | "HARD_DELETED"
  | "SOFT_DELETED"
  | "CASCADED"
  | "BLANKED"
  | "CONTENT_REPLACED"
  | "PSEUDONYMISED"
  | "TEXT_SCRUBBED"
  | "AUDITED";

/** One thing erasure did to one table. */
export interface ErasureStep {
  table: string;
  action: ErasureAction;
  rows: number;
}

export interface ErasureReport {
  /** The person's row id. */
  id: string;
  type: string;
  /** True when the person had been erased before: nothing was changed. */
  alreadyErased: boolean;
  /** Shared by every audit entry of the erasure (of the first one, when already erased). */
  operationId: string;
  erasedAt: Date;
  steps: ErasureStep[];
}

export interface ErasureOptions {
  /** Deepest cascade of the person's soft delete. @default `defaultOf("MAX_CASCADE_DEPTH")` */
  maxCascadeDepth?: number;
  /** Longest reason . @default `defaultOf("MAX_REASON_LENGTH")` */
  maxReasonLength?: number;
}

/** What replaces the person's name or email where it appears in free text. */
export const ERASED_TEXT = "[erased]";
/** The prefix of the pseudonym that replaces a subject: `erased:<actor id>`. */
export const ERASED_SUBJECT_PREFIX = "erased:";
/** Names shorter than this are not searched for in free text (they would match ordinary words). */
const MIN_SEARCHED_LENGTH = 3;
const SUBJECT_COLUMNS = ["created_by", "updated_by", "deleted_by"];
/** Tables erasure never writes: the append-only trail, and the actors it blanks on purpose. */
const UNTOUCHED_TABLES = new Set(["audit_log", "actors"]);

/**
 * Erases the person `id` of the context's organization.
 * @throws NOT_FOUND for an unknown or foreign id; BAD_USER_INPUT without a reason; RESTRICTED if a declared
 * removal or the person's soft delete is refused by a policy.
 */
export async function erasePerson(
  engine: SoftDeleteEngine,
  declaration: PersonalDataDeclaration,
  ctx: OperationContext,
  id: string,
  reason: string,
  options: ErasureOptions = {},
): Promise<ErasureReport> {
  const registry = engine.registry;
  const person = registry.entity(declaration.person);
  if (!boundedReason(reason, options.maxReasonLength))
    throw new InvalidInputError("reason", "a reason is required to erase a person");
  if (!isUuid(id)) throw new NotFoundError(person.name, id);
  const maxDepth = options.maxCascadeDepth ?? defaultOf("MAX_CASCADE_DEPTH");
  // The reason is scrubbed of the person's identifying values before it is written (see erase).
  return engine.withOperation(ctx, { reason: reason.trim() }, (tx, info) =>
    erase(tx, engine, declaration, person, info, id, maxDepth),
  );
}

/** One erasure in progress: what every step reads, and the report it fills. */
interface Erasure {
  tx: Database;
  engine: SoftDeleteEngine;
  registry: Registry;
  declaration: PersonalDataDeclaration;
  person: Entity;
  id: string;
  org: string;
  /** The person's row as it was. */
  row: Row;
  /** The person's identifying values searched for in free text. */
  searched: string[];
  info: AuditInfo;
  steps: ErasureStep[];
}

function record(e: Erasure, table: string, action: ErasureAction, n: number) {
  if (n > 0) e.steps.push({ table, action, rows: n });
}

function declaredRelation(e: Erasure, name: string): RelationDeclaration {
  const rel = e.registry.relation(name);
  if (!rel) throw new DeclarationError(`personal data declaration names an unknown relation ${name}`);
  return rel;
}

async function erase(
  tx: Database,
  engine: SoftDeleteEngine,
  declaration: PersonalDataDeclaration,
  person: Entity,
  operation: AuditInfo,
  id: string,
  maxDepth: number,
): Promise<ErasureReport> {
  const org = operation.ctx.organizationId;
  const [raw] = await rows<Record<string, unknown>>(
    tx,
    sql`SELECT * FROM ${t(person)} WHERE id = ${id}::uuid AND ${c(person.table.organizationId)} = ${org}::uuid FOR UPDATE`,
  );
  if (!raw) throw new NotFoundError(person.name, id);
  const earlier = await earlierErasure(tx, person, org, id);
  if (earlier) return earlier;

  const row = mapRow(person, raw);
  const searched = Object.keys(declaration.identifying)
    .map((f) => row[f])
    .filter((v): v is string => typeof v === "string" && v.trim().length >= MIN_SEARCHED_LENGTH);
  const info: AuditInfo = { ...operation, reason: scrubText(operation.reason ?? "", searched) };
  const e: Erasure = {
    tx,
    engine,
    registry: engine.registry,
    declaration,
    person,
    id,
    org,
    row,
    searched,
    info,
    steps: [],
  };

  const actors = await personActors(e);
  await removeOwnRows(e); // 1
  await closeAccount(e, maxDepth); // 2
  await blankIdentity(e); // 3
  await replaceAuthored(e); // 4
  await scrubOwnText(e, actors); // 5
  await pseudonymise(e, actors); // 6
  await blankActors(e, actors); // 7
  const erasedAt = await auditErasure(e); // 8
  return { id, type: person.name, alreadyErased: false, operationId: info.operationId, erasedAt, steps: e.steps };
}

/** The report of an earlier erasure of the person (its ERASE audit entry), if any: erasing again changes nothing. */
async function earlierErasure(
  tx: Database,
  person: Entity,
  org: string,
  id: string,
): Promise<ErasureReport | undefined> {
  const [earlier] = await rows<{ at: Date | string; operation_id: string }>(
    tx,
    sql`SELECT at, operation_id FROM audit_log
        WHERE organization_id = ${org}::uuid AND entity_id = ${id}::uuid AND action = 'ERASE' ORDER BY id LIMIT 1`,
  );
  if (!earlier) return undefined;
  return {
    id,
    type: person.name,
    alreadyErased: true,
    operationId: earlier.operation_id,
    erasedAt: earlier.at instanceof Date ? earlier.at : new Date(earlier.at),
    steps: [],
  };
}

/**
 * The person's actor rows: one per subject the person may be named by (created for a subject that never acted
 * through the engine, so that every pseudonym is one), and any already linked to the person.
 */
async function personActors(e: Erasure): Promise<{ id: string; subject: string }[]> {
  const subjectValues = e.declaration.subjects
    .map((f) => e.row[f])
    .filter((v): v is string => typeof v === "string" && !!v);
  for (const subject of subjectValues)
    await e.tx.execute(
      sql`INSERT INTO actors (organization_id, subject, user_id) VALUES (${e.org}::uuid, ${subject}, ${e.id}::uuid)
          ON CONFLICT (organization_id, subject) DO NOTHING`,
    );
  return rows<{ id: string; subject: string }>(
    e.tx,
    sql`SELECT id, subject FROM actors WHERE organization_id = ${e.org}::uuid AND erased_at IS NULL
          AND (user_id = ${e.id}::uuid OR subject = ANY(${textArray(subjectValues)}))`,
  );
}

/** 1. Rows only about the person (the declared `removed` relations) go, with their dependants. */
async function removeOwnRows(e: Erasure) {
  for (const name of e.declaration.removed) {
    const rel = declaredRelation(e, name);
    const child = e.registry.entity(rel.child);
    const ids = (
      await rows<{ id: string }>(
        e.tx,
        sql`SELECT id FROM ${t(child)} WHERE ${c(child.table.organizationId)} = ${e.org}::uuid AND ${c(rel.column)} = ${e.id}::uuid`,
      )
    ).map((r) => r.id);
    if (!ids.length) continue;
    for (const [type, n] of await e.engine.removeSubtrees(e.tx, child, ids, e.info, "HARD_DELETE"))
      record(e, e.registry.entity(type).tableName, "HARD_DELETED", n);
  }
}

/** 2. The person's account closes: soft-deleted with its cascade, if live. */
async function closeAccount(e: Erasure, maxDepth: number) {
  if (e.row.deletedAt) return;
  const deleted = await softDeleteWhere(e.tx, e.person, sql`id = ${e.id}::uuid`, e.info);
  record(e, e.person.tableName, "SOFT_DELETED", deleted.length);
  if (deleted.length)
    for (const [type, n] of await cascadeSoftDelete(e.tx, e.registry, e.person, deleted, e.info, { maxDepth }))
      record(e, e.registry.entity(type).tableName, "CASCADED", n);
}

/** 3. The identifying fields are blanked; the row stays, so references to it and the audit trail still link. */
async function blankIdentity(e: Erasure) {
  const { person } = e;
  const blank = Object.entries(e.declaration.identifying).map(([field, value]) => {
    const col = columnOf(person, field);
    if (!col) throw new DeclarationError(`personal data declaration names an unknown field ${person.name}.${field}`);
    return sql`${c(col)} = ${value(e.id)}`;
  });
  await e.tx.execute(
    sql`UPDATE ${t(person)} SET ${sql.join(blank, sql`, `)}, ${c(person.table.updatedAt)} = now(), ${c(person.table.updatedBy)} = ${e.info.ctx.actor}
        WHERE id = ${e.id}::uuid`,
  );
  record(e, person.tableName, "BLANKED", 1);
}

/** 4. What the person wrote (the declared `authored` relations) loses its content. */
async function replaceAuthored(e: Erasure) {
  for (const { relation, replace } of e.declaration.authored) {
    const rel = declaredRelation(e, relation);
    const child = e.registry.entity(rel.child);
    const sets = Object.entries(replace).map(([field, value]) => {
      const col = columnOf(child, field);
      if (!col) throw new DeclarationError(`personal data declaration names an unknown field ${child.name}.${field}`);
      return { col, value };
    });
    const changed = await rows<{ id: string }>(
      e.tx,
      sql`UPDATE ${t(child)} SET ${sql.join(
        sets.map((s) => sql`${c(s.col)} = ${s.value}`),
        sql`, `,
      )}
          WHERE ${c(child.table.organizationId)} = ${e.org}::uuid AND ${c(rel.column)} = ${e.id}::uuid
            AND (${sql.join(
              sets.map((s) => sql`${c(s.col)} IS DISTINCT FROM ${s.value}`),
              sql` OR `,
            )})
          RETURNING id`,
    );
    record(e, child.tableName, "CONTENT_REPLACED", changed.length);
  }
}

/**
 * 5. The person's own free text: the declared free-text fields of rows they created or last updated, and the
 * deletion reasons of rows they deleted. Matched on their subjects (before step 6 pseudonymises them), never on
 * text alone: another person's row that mentions them is that person's.
 */
async function scrubOwnText(e: Erasure, actors: { subject: string }[]) {
  const pattern = searchPattern(e.searched);
  if (!pattern || !actors.length) return;
  const theirs = textArray([...new Set(actors.map((a) => a.subject))]);
  const fields = new Map<Entity, Set<string>>();
  for (const name of e.declaration.freeText) {
    const [type, field] = name.split(".");
    const entity = e.registry.entity(type!);
    if (!columnOf(entity, field!))
      throw new DeclarationError(`personal data declaration names an unknown field ${name}`);
    fields.set(entity, (fields.get(entity) ?? new Set()).add(field!));
  }
  for (const entity of e.registry.entities.values()) {
    const { table } = entity;
    const targets: { fields: string[]; by: SQL }[] = [];
    const own = [...(fields.get(entity) ?? [])];
    if (own.length)
      targets.push({
        fields: own,
        by: sql`(${c(table.createdBy)} = ANY(${theirs}) OR ${c(table.updatedBy)} = ANY(${theirs}))`,
      });
    targets.push({ fields: ["deletionReason"], by: sql`${c(table.deletedBy)} = ANY(${theirs})` });
    let n = 0;
    for (const target of targets) {
      const cols = target.fields.map((f) => c(columnOf(entity, f)!));
      const [changed] = await rows<{ n: number }>(
        e.tx,
        sql`WITH changed AS (
              UPDATE ${t(entity)} SET ${sql.join(
                cols.map((col) => sql`${col} = regexp_replace(${col}, ${pattern}, ${ERASED_TEXT}, 'gi')`),
                sql`, `,
              )}
              WHERE ${c(table.organizationId)} = ${e.org}::uuid AND ${target.by}
                AND (${sql.join(
                  cols.map((col) => sql`${col} ~* ${pattern}`),
                  sql` OR `,
                )})
              RETURNING 1)
            SELECT count(*)::int AS n FROM changed`,
      );
      n += changed?.n ?? 0;
    }
    record(e, entity.tableName, "TEXT_SCRUBBED", n);
  }
}

/**
 * 6. Every table of the organization (read from the catalog, so a table added later is covered too): subject
 * columns holding exactly one of the person's subjects are pseudonymised.
 */
async function pseudonymise(e: Erasure, actors: { id: string; subject: string }[]) {
  const mapping = actors.map((a) => ({ subject: a.subject, pseudonym: `${ERASED_SUBJECT_PREFIX}${a.id}` }));
  for (const table of await organizationTables(e.tx)) {
    const scope = table.name === "organizations" ? sql`id = ${e.org}::uuid` : sql`organization_id = ${e.org}::uuid`;
    await pseudonymiseSubjects(e, table, scope, mapping);
  }
}

async function pseudonymiseSubjects(
  e: Erasure,
  table: OrgTable,
  scope: SQL,
  mapping: { subject: string; pseudonym: string }[],
) {
  const subjects = table.columns.filter((col) => SUBJECT_COLUMNS.includes(col.name) && col.text);
  if (!mapping.length || !subjects.length) return;
  const from = textArray(mapping.map((m) => m.subject));
  const to = textArray(mapping.map((m) => m.pseudonym));
  const changed = await rows<{ n: number }>(
    e.tx,
    sql`WITH m AS (SELECT * FROM unnest(${from}, ${to}) AS m(subject, pseudonym)),
        changed AS (
          UPDATE ${sql.identifier(table.name)} AS x SET ${sql.join(
            subjects.map(
              (col) =>
                sql`${sql.identifier(col.name)} = COALESCE((SELECT pseudonym FROM m WHERE m.subject = x.${sql.identifier(col.name)}), x.${sql.identifier(col.name)})`,
            ),
            sql`, `,
          )}
          WHERE x.${scope} AND (${sql.join(
            subjects.map((col) => sql`x.${sql.identifier(col.name)} = ANY(${from})`),
            sql` OR `,
          )})
          RETURNING 1)
        SELECT count(*)::int AS n FROM changed`,
  );
  record(e, table.name, "PSEUDONYMISED", changed[0]?.n ?? 0);
}

/** 7. The actor rows are blanked: the audit trail keeps pointing at them, and no longer says who they were. */
async function blankActors(e: Erasure, actors: { id: string }[]) {
  if (!actors.length) return;
  const blanked = await rows<{ id: string }>(
    e.tx,
    sql`UPDATE actors SET subject = ${ERASED_SUBJECT_PREFIX} || id::text, erased_at = now()
        WHERE id = ANY(${uuidArray(actors.map((a) => a.id))}) RETURNING id`,
  );
  record(e, "actors", "BLANKED", blanked.length);
}

/** 8. One ERASE entry: who erased whom, when and why (the reason scrubbed), naming fields, never values. */
async function auditErasure(e: Erasure): Promise<Date> {
  const [entry] = await rows<{ at: Date | string }>(
    e.tx,
    sql`WITH src AS (SELECT ${e.id}::uuid AS id),
        audit AS (${auditFrom("src", "ERASE", e.person.name, e.info, Object.keys(e.declaration.identifying))} RETURNING at)
        SELECT at FROM audit`,
  );
  record(e, "audit_log", "AUDITED", 1);
  return entry ? (entry.at instanceof Date ? entry.at : new Date(entry.at)) : new Date();
}

interface OrgColumn {
  name: string;
  /** PostgreSQL type name (text, varchar, jsonb, json). */
  type: string;
  /** Stored as text (text, varchar): no cast needed. */
  text: boolean;
}

/**
 * The tables holding an organization's rows (those with an `organization_id`, and `organizations` itself)
 * and their text-like columns, read from the catalog so that a table added later is covered too.
 */
/** A table of the organization's data, with the columns erasure may rewrite. */
interface OrgTable {
  name: string;
  columns: OrgColumn[];
}

async function organizationTables(tx: Database): Promise<OrgTable[]> {
  const found = await rows<{ table: string; column: string; type: string; has_org: boolean }>(
    tx,
    sql`SELECT cl.relname AS table, a.attname AS column, ty.typname AS type,
          EXISTS (SELECT 1 FROM pg_attribute o WHERE o.attrelid = cl.oid AND o.attname = 'organization_id' AND NOT o.attisdropped) AS has_org
        FROM pg_class cl
        JOIN pg_namespace ns ON ns.oid = cl.relnamespace
        JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
        JOIN pg_type ty ON ty.oid = a.atttypid
        WHERE ns.nspname = current_schema() AND cl.relkind IN ('r', 'p')
          AND ty.typname IN ('text', 'varchar', 'bpchar', 'json', 'jsonb')
        ORDER BY cl.relname, a.attnum`,
  );
  const tables = new Map<string, OrgColumn[]>();
  for (const r of found) {
    if (UNTOUCHED_TABLES.has(r.table) || !(r.has_org || r.table === "organizations")) continue;
    const list = tables.get(r.table) ?? [];
    list.push({ name: r.column, type: r.type, text: r.type === "text" || r.type === "varchar" || r.type === "bpchar" });
    tables.set(r.table, list);
  }
  return [...tables].map(([name, columns]) => ({ name, columns }));
}

/**
 * A PostgreSQL regular expression (ARE) matching any of `values` as a whole word, case-insensitively with
 * the 'i' flag; undefined when there is nothing to search for.
 */
export function searchPattern(values: readonly string[]): SQL | undefined {
  const alternatives = [...new Set(values.map((v) => v.trim()).filter((v) => v.length >= MIN_SEARCHED_LENGTH))]
    .sort((a, b) => b.length - a.length)
    .map((v) => v.replace(/\s+/g, " "))
    .map((v) => {
      // In an ARE a backslash before a non-alphanumeric character makes it literal.
      const body = v.replace(/[^\p{L}\p{N}]/gu, (ch) => (/\s/.test(ch) ? "\\s+" : `\\${ch}`));
      const before = /^[\p{L}\p{N}_]/u.test(v) ? "(?<![[:alnum:]_])" : "";
      const after = /[\p{L}\p{N}_]$/u.test(v) ? "(?![[:alnum:]_])" : "";
      return `${before}${body}${after}`;
    });
  return alternatives.length ? sql`${alternatives.join("|")}` : undefined;
}

/** `text` with every whole-word, case-insensitive occurrence of `values` replaced by ERASED_TEXT. */
export function scrubText(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of [...new Set(values.map((x) => x.trim()).filter((x) => x.length >= MIN_SEARCHED_LENGTH))].sort(
    (a, b) => b.length - a.length,
  )) {
    const body = v.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&").replace(/\s+/g, "\\s+");
    const before = /^[\p{L}\p{N}_]/u.test(v) ? "(?<![\\p{L}\\p{N}_])" : "";
    const after = /[\p{L}\p{N}_]$/u.test(v) ? "(?![\\p{L}\\p{N}_])" : "";
    out = out.replace(new RegExp(`${before}${body}${after}`, "giu"), ERASED_TEXT);
  }
  return out;
}
