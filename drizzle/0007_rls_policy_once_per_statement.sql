-- The tenant policies compare each row with the setting through a scalar subquery, so PostgreSQL evaluates
-- current_setting once per statement (an InitPlan) instead of once per row checked: on bench:api's nested read
-- (about 6,000 rows checked in 1,000 correlated subqueries) the policy cost fell from about 4-5 ms to within
-- noise of a read without row-level security (EXPLAIN ANALYZE, as softdelete_app vs the owner). Same meaning.
DO $$
DECLARE
  t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_policies WHERE schemaname = 'public' AND policyname = 'tenant_isolation' LOOP
    EXECUTE format($p$ALTER POLICY tenant_isolation ON %I
      USING (organization_id = (SELECT NULLIF(current_setting('app.organization_id', true), '')::uuid))
      WITH CHECK (organization_id = (SELECT NULLIF(current_setting('app.organization_id', true), '')::uuid))$p$, t);
  END LOOP;
END
$$;
--> statement-breakpoint
ALTER POLICY own_organization ON organizations
  USING (id = (SELECT NULLIF(current_setting('app.organization_id', true), '')::uuid))
  WITH CHECK (id = (SELECT NULLIF(current_setting('app.organization_id', true), '')::uuid));
