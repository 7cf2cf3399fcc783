CREATE TABLE "audit_chain_heads" (
	"organization_id" uuid PRIMARY KEY NOT NULL,
	"seq" bigint DEFAULT 0 NOT NULL,
	"hash" "bytea" DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea NOT NULL,
	"base_seq" bigint DEFAULT 0 NOT NULL,
	"base_hash" "bytea" DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_chain_heads" ADD CONSTRAINT "audit_chain_heads_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Nullable until the rows already written are chained below.
ALTER TABLE "audit_log" ADD COLUMN "seq" bigint;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "hash" "bytea";--> statement-breakpoint
-- One field of the hashed content: its text, prefixed with its length in bytes; '-' for NULL. The verifier
-- (src/engine/audit-chain.ts) builds the same bytes in Node from the columns' text forms.
CREATE FUNCTION audit_chain_field(v text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT coalesce(octet_length(v)::text || ':' || v, '-') $$;--> statement-breakpoint
CREATE FUNCTION audit_log_content(a audit_log, seq bigint) RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT convert_to(
    audit_chain_field(a.id::text) || audit_chain_field(seq::text) || audit_chain_field(a.organization_id::text)
    || audit_chain_field((extract(epoch FROM a.at) * 1000000)::bigint::text) || audit_chain_field(a.actor_id::text)
    || audit_chain_field(a.action) || audit_chain_field(a.entity_type) || audit_chain_field(a.entity_id::text)
    || audit_chain_field(a.operation_id::text) || audit_chain_field(a.request_id) || audit_chain_field(a.reason)
    || audit_chain_field(a.changed_fields::text),
    'UTF8')
$$;--> statement-breakpoint
-- Chains the new row to its organization's head, in the statement that inserts it. The UPDATE takes the head
-- row's lock; under READ COMMITTED, a writer that waited for it re-evaluates the SET list on the newest
-- committed head (EvalPlanQual), so concurrent writers never fork a chain (a SELECT of the last row after
-- waiting would still see its old snapshot). SECURITY DEFINER: the application role needs no right on
-- audit_chain_heads, so it cannot move a head; whatever it puts in seq and hash is overwritten.
CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  UPDATE audit_chain_heads h SET seq = h.seq + 1, hash = sha256(h.hash || audit_log_content(NEW, h.seq + 1))
    WHERE h.organization_id = NEW.organization_id
    RETURNING h.seq, h.hash INTO NEW.seq, NEW.hash;
  IF NOT FOUND THEN
    INSERT INTO audit_chain_heads (organization_id) VALUES (NEW.organization_id) ON CONFLICT DO NOTHING;
    UPDATE audit_chain_heads h SET seq = h.seq + 1, hash = sha256(h.hash || audit_log_content(NEW, h.seq + 1))
      WHERE h.organization_id = NEW.organization_id
      RETURNING h.seq, h.hash INTO NEW.seq, NEW.hash;
  END IF;
  RETURN NEW;
END;
$$;--> statement-breakpoint
-- Chain the rows written before this migration, per organization in id order.
ALTER TABLE "audit_log" DISABLE TRIGGER audit_log_append_only;--> statement-breakpoint
DO $$
DECLARE
  r audit_log;
  s bigint;
  h bytea;
BEGIN
  FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
    INSERT INTO audit_chain_heads (organization_id) VALUES (r.organization_id) ON CONFLICT DO NOTHING;
    UPDATE audit_chain_heads ch SET seq = ch.seq + 1, hash = sha256(ch.hash || audit_log_content(r, ch.seq + 1))
      WHERE ch.organization_id = r.organization_id RETURNING ch.seq, ch.hash INTO s, h;
    UPDATE audit_log SET seq = s, hash = h WHERE id = r.id;
  END LOOP;
END;
$$;--> statement-breakpoint
ALTER TABLE "audit_log" ENABLE TRIGGER audit_log_append_only;--> statement-breakpoint
ALTER TABLE "audit_log" ALTER COLUMN "seq" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_log" ALTER COLUMN "hash" SET NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "audit_log_org_seq_key" ON "audit_log" USING btree ("organization_id","seq");--> statement-breakpoint
CREATE TRIGGER audit_log_chain BEFORE INSERT ON "audit_log" FOR EACH ROW EXECUTE FUNCTION audit_log_chain();
