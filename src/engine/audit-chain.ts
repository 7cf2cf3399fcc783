/**
 * The audit trail's hash chains, and their verifier.
 *
 * Invariant kept by the database (migrations 0003 and 0006, triggers `audit_log_chain`, `audit_log_chain_head`): the audit rows of one
 * organization, ordered by `seq`, are numbered base_seq + 1, base_seq + 2, … without gaps, and each row's
 * `hash` is sha256(previous hash ‖ content), where the first row's previous hash is the chain's checkpoint
 * (`audit_chain_heads.base_hash`, 32 zero bytes unless audit rows were ever purged) and the last row is the
 * organization's head (`audit_chain_heads.seq`/`hash`). A row changed, removed or slipped in behind the
 * application's back breaks it; only rewriting every later row and the head hides a change, which is what
 * keeping a copy of the head hash elsewhere (`audit:verify` prints it) defends against.
 *
 * The content is each column's PostgreSQL text form, length-prefixed (`<bytes>:<text>`, `-` for NULL) in
 * a fixed order, so this verifier recomputes every hash in Node from plain column values rather than
 * trusting a function stored in the database it checks.
 */
import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { rows } from "./sql.js";

/**
 * Takes the organization's audit chain head lock (migration 0004). The first statement of every transaction that
 * writes audit rows: writers then wait for the head before holding any row, so the head can never close a
 * deadlock cycle with row locks. A transaction writing to several organizations locks them in sorted order.
 */
export async function lockAuditChain(tx: Database, ...organizationIds: string[]): Promise<void> {
  for (const org of [...new Set(organizationIds)].sort()) await rows(tx, sql`SELECT audit_chain_lock(${org}::uuid)`);
}

/** The columns hashed, in order, as the trigger's `audit_log_content` spells them in SQL. */
const CONTENT_SQL = sql.raw(`a.id::text AS id, a.seq::text AS seq, a.organization_id::text AS organization_id,
  (extract(epoch FROM a.at) * 1000000)::bigint::text AS at_us, a.actor_id::text AS actor_id, a.action,
  a.entity_type, a.entity_id::text AS entity_id, a.operation_id::text AS operation_id, a.request_id, a.reason,
  a.changed_fields::text AS changed_fields, a.hash`);

interface ChainRow {
  id: string;
  seq: string;
  organization_id: string;
  at_us: string;
  actor_id: string;
  action: string;
  entity_type: string;
  entity_id: string;
  operation_id: string;
  request_id: string | null;
  reason: string | null;
  changed_fields: string | null;
  hash: Buffer | string | null;
}

const field = (v: string | null) => (v === null ? "-" : `${Buffer.byteLength(v, "utf8")}:${v}`);

/** The bytes hashed for one row after the previous hash (the same as SQL `audit_log_content`). */
export function chainContent(r: Omit<ChainRow, "hash">): Buffer {
  return Buffer.from(
    [
      r.id,
      r.seq,
      r.organization_id,
      r.at_us,
      r.actor_id,
      r.action,
      r.entity_type,
      r.entity_id,
      r.operation_id,
      r.request_id,
      r.reason,
      r.changed_fields,
    ]
      .map(field)
      .join(""),
    "utf8",
  );
}

/** PGlite answers bytea as Uint8Array, node-postgres as Buffer; `\x…` text when read through a cast. */
function bytes(v: unknown): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return Buffer.from(v.replace(/^\\x/, ""), "hex");
  return Buffer.from(v as Uint8Array);
}

export interface ChainBreak {
  /** The audit row where the chain first fails (null when the rows are intact but the head disagrees). */
  id: number | null;
  /**
   * That row's own position in the chain (what the API's entry id encodes); null when it has none or there is
   * no such row.
   */
  entrySeq: number | null;
  /** The position where the chain first fails. */
  seq: number;
  problem: string;
}

export interface ChainReport {
  organizationId: string;
  slug: string;
  ok: boolean;
  /** Rows checked. */
  rows: number;
  /** The chain's last position and hash (hex) as recorded in its head, for keeping elsewhere. */
  headSeq: number;
  headHash: string;
  firstBreak: ChainBreak | null;
}

/**
 * Recomputes one organization's chain from its checkpoint to its head, in pages of `pageSize` rows.
 * @returns the first break, or `ok: true`.
 */
export async function verifyChain(
  db: Database,
  organizationId: string,
  options: { pageSize?: number } = {},
): Promise<ChainReport> {
  const pageSize = options.pageSize ?? 5000;
  const [org] = await rows<{
    slug: string;
    seq: string | null;
    hash: unknown;
    base_seq: string | null;
    base_hash: unknown;
  }>(
    db,
    sql`SELECT o.slug, h.seq::text AS seq, h.hash, h.base_seq::text AS base_seq, h.base_hash
        FROM organizations o LEFT JOIN audit_chain_heads h ON h.organization_id = o.id
        WHERE o.id = ${organizationId}::uuid`,
  );
  if (!org) throw new Error(`no organization ${organizationId}`);
  const zero = Buffer.alloc(32);
  const headSeq = Number(org.seq ?? 0);
  const headHash = bytes(org.hash) ?? zero;
  let prev = bytes(org.base_hash) ?? zero;
  let expectedSeq = Number(org.base_seq ?? 0) + 1;
  let checked = 0;
  const report = (firstBreak: ChainBreak | null): ChainReport => ({
    organizationId,
    slug: org.slug,
    ok: !firstBreak,
    rows: checked,
    headSeq,
    headHash: headHash.toString("hex"),
    firstBreak,
  });
  let after = Number(org.base_seq ?? 0);
  for (;;) {
    // Rows with no position (slipped in with the trigger disabled) sort first and fail at once.
    const page = await rows<ChainRow>(
      db,
      sql`SELECT ${CONTENT_SQL} FROM audit_log a
          WHERE a.organization_id = ${organizationId}::uuid AND (a.seq > ${after} OR a.seq IS NULL)
          ORDER BY a.seq NULLS FIRST LIMIT ${pageSize}`,
    );
    for (const r of page) {
      const id = Number(r.id);
      if (r.seq === null) return report({ id, entrySeq: null, seq: expectedSeq, problem: "row has no chain position" });
      const seq = Number(r.seq);
      if (seq !== expectedSeq)
        return report({
          id,
          entrySeq: seq,
          seq: expectedSeq,
          problem: seq > expectedSeq ? `row(s) missing: next row is at ${seq}` : `row at ${seq} repeats`,
        });
      const hash = createHash("sha256").update(prev).update(chainContent(r)).digest();
      const stored = bytes(r.hash);
      if (!stored || !hash.equals(stored))
        return report({ id, entrySeq: seq, seq, problem: "hash mismatch: the row or an earlier one was changed" });
      prev = hash;
      expectedSeq++;
      checked++;
    }
    if (page.length < pageSize) break;
    after = Number(page[page.length - 1]!.seq);
  }
  const last = expectedSeq - 1;
  if (last !== headSeq)
    return report({
      id: null,
      entrySeq: null,
      seq: last + 1,
      problem: `the head is at ${headSeq} but the rows end at ${last}: rows after it are missing`,
    });
  if (!prev.equals(headHash))
    return report({ id: null, entrySeq: null, seq: last, problem: "the last row's hash differs from the head" });
  return report(null);
}

/** Verifies every organization's chain (or the one with `slug`), in slug order. */
export async function verifyChains(db: Database, options: { slug?: string; pageSize?: number } = {}) {
  const orgs = await rows<{ id: string }>(
    db,
    options.slug
      ? sql`SELECT id FROM organizations WHERE slug = ${options.slug}`
      : sql`SELECT id FROM organizations ORDER BY slug`,
  );
  const reports: ChainReport[] = [];
  for (const o of orgs) reports.push(await verifyChain(db, o.id, options));
  return reports;
}
