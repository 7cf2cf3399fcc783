-- The audit chain head is written once per statement instead of once per audit row. Migration 0003's row trigger
-- advanced the head with an UPDATE per row: every one of them left a new version of the same head row that no
-- one could prune before the transaction ended, and each next UPDATE had to step over all of them, so a
-- transaction's cost grew with the square of its audit rows (16,000 rows after 14,000 took 15 s; a cascade of
-- 284,000 rows did not finish). Now the row trigger locks the head once per transaction and organization
-- (SELECT … FOR UPDATE: under READ COMMITTED a writer that waited gets the newest committed head, so chains still
-- never fork), carries the running position and hash in a transaction-local setting
-- (audit_chain.o<organization id without dashes> = '<seq>:<hash hex>', reverted with the transaction or savepoint
-- that set it, like the rows), and an AFTER INSERT statement trigger writes each organization's last row into the
-- head. Same hashes, same verifier.
CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  running_key text := 'audit_chain.o' || replace(NEW.organization_id::text, '-', '');
  running text := current_setting(running_key, true);
  s bigint;
  h bytea;
BEGIN
  IF running IS NULL OR running = '' THEN
    SELECT ch.seq, ch.hash INTO s, h FROM audit_chain_heads ch WHERE ch.organization_id = NEW.organization_id FOR UPDATE;
    IF NOT FOUND THEN
      INSERT INTO audit_chain_heads (organization_id) VALUES (NEW.organization_id) ON CONFLICT DO NOTHING;
      SELECT ch.seq, ch.hash INTO s, h FROM audit_chain_heads ch WHERE ch.organization_id = NEW.organization_id
        FOR UPDATE;
    END IF;
  ELSE
    s := split_part(running, ':', 1)::bigint;
    h := decode(split_part(running, ':', 2), 'hex');
  END IF;
  NEW.seq := s + 1;
  NEW.hash := sha256(h || audit_log_content(NEW, s + 1));
  PERFORM set_config(running_key, NEW.seq::text || ':' || encode(NEW.hash, 'hex'), true);
  RETURN NEW;
END;
$$;--> statement-breakpoint
-- Moves each organization's head to the last row the statement wrote (never back: a statement may fire this
-- more than once, e.g. with several INSERT … CTEs).
CREATE FUNCTION audit_log_chain_head() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  UPDATE audit_chain_heads ch SET seq = last.seq, hash = last.hash
    FROM (SELECT DISTINCT ON (organization_id) organization_id, seq, hash FROM audit_chain_new_rows
          ORDER BY organization_id, seq DESC) last
    WHERE ch.organization_id = last.organization_id AND last.seq > ch.seq;
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER audit_log_chain_head AFTER INSERT ON audit_log REFERENCING NEW TABLE AS audit_chain_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_chain_head();
