-- Row-level security (README, "Tenant isolation in PostgreSQL"), after the audit chain lock of 0004.
-- detachments gets its organization, like every tenant table: from the detached child row (or its parent).
ALTER TABLE "detachments" ADD COLUMN "organization_id" uuid;--> statement-breakpoint
UPDATE "detachments" d SET "organization_id" = coalesce(
  (SELECT organization_id FROM users WHERE id = d.child_id), (SELECT organization_id FROM projects WHERE id = d.child_id),
  (SELECT organization_id FROM tasks WHERE id = d.child_id), (SELECT organization_id FROM comments WHERE id = d.child_id),
  (SELECT organization_id FROM task_assignments WHERE id = d.child_id),
  (SELECT organization_id FROM users WHERE id = d.parent_id), (SELECT organization_id FROM projects WHERE id = d.parent_id));--> statement-breakpoint
-- Neither row exists any more: the reference can never be re-attached (what the purge forgets anyway).
DELETE FROM "detachments" WHERE "organization_id" IS NULL;--> statement-breakpoint
ALTER TABLE "detachments" ALTER COLUMN "organization_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "detachments" ADD CONSTRAINT "detachments_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Two roles without LOGIN, created once per
-- cluster (roles are cluster-wide; concurrent migrations of several databases may race to create them):
--   softdelete_app          what the server acts as in every transaction: sees and changes the rows of the
--                           organization in the transaction-local setting app.organization_id, and nothing
--                           without it;
--   softdelete_maintenance  the narrow path for work that must see every organization (the retention purge
--                           over all tenants, audit:verify): every row, by an explicit switch per transaction.
DO $$
BEGIN
  CREATE ROLE softdelete_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;--> statement-breakpoint
DO $$
BEGIN
  CREATE ROLE softdelete_maintenance NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;--> statement-breakpoint
-- The migrating role (the tables' owner) may switch to both; a superuser may anyway.
DO $$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT softdelete_app, softdelete_maintenance TO %I', current_user);
  END IF;
END
$$;--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO softdelete_app, softdelete_maintenance;--> statement-breakpoint
-- The tenant registry: every organization's slug and name are readable (a token names its organization by slug);
-- the application may change its own organization's row only (erasure scrubs its name). Not forced: the owner
-- creates organizations.
GRANT SELECT, UPDATE ON organizations TO softdelete_app, softdelete_maintenance;--> statement-breakpoint
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY organization_directory ON organizations AS PERMISSIVE FOR SELECT TO softdelete_app USING (true);--> statement-breakpoint
CREATE POLICY own_organization ON organizations AS PERMISSIVE FOR UPDATE TO softdelete_app
  USING (id = NULLIF(current_setting('app.organization_id', true), '')::uuid)
  WITH CHECK (id = NULLIF(current_setting('app.organization_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY maintenance ON organizations AS PERMISSIVE FOR ALL TO softdelete_maintenance USING (true) WITH CHECK (true);--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON users, projects, tasks, comments, task_assignments, actors, detachments,
  bulk_operations TO softdelete_app, softdelete_maintenance;--> statement-breakpoint
-- The audit trail is append-only for them too; its chain heads move only through the chain trigger.
GRANT SELECT, INSERT ON audit_log TO softdelete_app, softdelete_maintenance;--> statement-breakpoint
GRANT SELECT ON audit_chain_heads TO softdelete_app, softdelete_maintenance;--> statement-breakpoint
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO softdelete_app, softdelete_maintenance;--> statement-breakpoint
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['users', 'projects', 'tasks', 'comments', 'task_assignments', 'actors', 'detachments',
                           'bulk_operations', 'audit_log', 'audit_chain_heads'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    -- audit_chain_heads is only written by the chain trigger, which runs as the owner: not forced on it.
    IF t <> 'audit_chain_heads' THEN
      EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    END IF;
    -- One policy for every command: an UPDATE … RETURNING (a soft delete) must also pass the SELECT policy,
    -- and does, because it is the same. NULLIF: once a transaction-local value ends, the setting reads ''.
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I AS PERMISSIVE FOR ALL TO softdelete_app
      USING (organization_id = NULLIF(current_setting('app.organization_id', true), '')::uuid)
      WITH CHECK (organization_id = NULLIF(current_setting('app.organization_id', true), '')::uuid)$p$, t);
    EXECUTE format($p$CREATE POLICY maintenance ON %I AS PERMISSIVE FOR ALL TO softdelete_maintenance
      USING (true) WITH CHECK (true)$p$, t);
  END LOOP;
END
$$;
--> statement-breakpoint
-- Tables the owner creates later are the roles' to use too (erasure scrubs every table of an organization); a
-- tenant table added later needs its own ENABLE/FORCE and policies, as above, in its migration.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES
  TO softdelete_app, softdelete_maintenance;
