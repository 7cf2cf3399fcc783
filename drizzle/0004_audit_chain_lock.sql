-- Lock order for writers: an organization's audit chain head first, then the rows. Every audited write
-- transaction calls audit_chain_lock(org) as its first statement. Without it, the chain head (locked by the
-- first audit insert, see audit_log_chain) was taken in the middle of a transaction: a cascade holding the head
-- and waiting for a task row, and an operation holding that task row and waiting for the head, deadlocked
-- (PostgreSQL detects it after deadlock_timeout, 1 s by default, and one side is retried). Writers of one
-- organization already serialize on the head from their first audit row to commit; taking it first only moves
-- the wait to the start, where it cannot close a cycle. SECURITY DEFINER, like the trigger: the application
-- role needs no right on audit_chain_heads.
CREATE FUNCTION audit_chain_lock(org uuid) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  PERFORM 1 FROM audit_chain_heads WHERE organization_id = org FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO audit_chain_heads (organization_id) VALUES (org) ON CONFLICT DO NOTHING;
    PERFORM 1 FROM audit_chain_heads WHERE organization_id = org FOR UPDATE;
  END IF;
END;
$$;
