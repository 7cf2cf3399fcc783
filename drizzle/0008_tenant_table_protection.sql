-- Row-level security for a tenant table in one call, for this migration and for the migration of every entity
-- added later (README, "Adding an entity"): ENABLE + FORCE and the two policies of 0005, as 0007 made them (the
-- setting read once per statement). Run by the tables' owner.
--
-- And the owner no longer sees every organization by default. 0005 made the migrating role (the tables' owner,
-- when it is no superuser) a member of softdelete_maintenance so it may switch to it, but a member also inherits
-- the role's privileges and policies: the owner's own statements, outside any scope, saw every organization instead
-- of none. It is now a member through softdelete_maintenance_gate, a role that does not inherit: the owner may still
-- switch to softdelete_maintenance (membership is transitive), but has none of its privileges until it does, so a
-- path someone forgot to scope fails closed for the owner too. The policies stay as they are (a policy condition on
-- current_user would also skew the planner's row estimates, which healthReport reads).
DO $$
BEGIN
  CREATE ROLE softdelete_maintenance_gate NOLOGIN NOINHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;--> statement-breakpoint
GRANT softdelete_maintenance TO softdelete_maintenance_gate;--> statement-breakpoint
DO $$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT softdelete_maintenance_gate TO %I', current_user);
    EXECUTE format('REVOKE softdelete_maintenance FROM %I', current_user);
  END IF;
END
$$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION softdelete_protect_tenant_table(t regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
  EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', t);
  EXECUTE format($p$CREATE POLICY tenant_isolation ON %s AS PERMISSIVE FOR ALL TO softdelete_app
    USING (organization_id = (SELECT NULLIF(current_setting('app.organization_id', true), '')::uuid))
    WITH CHECK (organization_id = (SELECT NULLIF(current_setting('app.organization_id', true), '')::uuid))$p$, t);
  EXECUTE format('DROP POLICY IF EXISTS maintenance ON %s', t);
  EXECUTE format($p$CREATE POLICY maintenance ON %s AS PERMISSIVE FOR ALL TO softdelete_maintenance
    USING (true) WITH CHECK (true)$p$, t);
END
$$;--> statement-breakpoint
REVOKE EXECUTE ON FUNCTION softdelete_protect_tenant_table(regclass) FROM PUBLIC;--> statement-breakpoint
-- Every FORCEd tenant table of 0005, made the same way (audit_chain_heads stays as it is: only the owner's chain
-- trigger writes it).
SELECT softdelete_protect_tenant_table(t::regclass)
  FROM unnest(ARRAY['users', 'projects', 'tasks', 'comments', 'task_assignments', 'actors', 'detachments',
                    'bulk_operations', 'audit_log']) AS t;
