/**
 * Two PostgreSQL logins, one rule for which does what (`DATABASE_OWNER_URL`, README "Tenant isolation in
 * PostgreSQL"): work for one organization, and work outside every scope (the token's organization look-up,
 * readiness), runs on `DATABASE_URL`'s connections; work that is not one organization's (maintenance across
 * organizations, `ALL_ORGANIZATIONS`; the demo seed, `AS_OWNER`) on the owner's. `DATABASE_URL` can then log in as
 * a role that reaches only `softdelete_app`'s privileges: no statement sent on its connections, injected SQL
 * included, can `RESET ROLE` past row-level security or change the audit trail.
 *
 * The rule is applied at checkout (`pool.connect`), which node-postgres' own `pool.query` goes through too, so a
 * statement and a transaction are routed alike.
 */
import type { Pool } from "pg";
import { currentTenant, isOrganizationScope } from "./tenant-scope.js";

/** True when the current async context's work belongs on the owner's connections. */
export const ownerWork = (): boolean => {
  const scope = currentTenant();
  return scope !== undefined && !isOrganizationScope(scope);
};

/** Sends checkouts of `pool` made for owner work (see above) to `ownerPool`; releasing returns them there. */
export function routeOwnerWork(pool: Pool, ownerPool: Pool): void {
  const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
  const connectOwner = ownerPool.connect.bind(ownerPool) as (...args: unknown[]) => unknown;
  pool.connect = ((...args: unknown[]) => (ownerWork() ? connectOwner(...args) : connect(...args))) as Pool["connect"];
}
