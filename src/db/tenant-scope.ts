/**
 * Whom statements act for under row-level security (migration 0005), and how they say so without leaving state
 * on a connection.
 *
 * Invariant: with a scope in effect, every statement runs in a transaction whose first statement switches to the
 * application role for one organization (`softdelete_app` + `app.organization_id`), or to the maintenance role
 * for every organization (`softdelete_maintenance`), with `set_config(…, true)`: both settings end with the
 * transaction, so a pooled connection (PgBouncer in transaction mode included) never carries them to the next
 * client. A transaction says so itself (src/engine/transaction.ts `enterScope`); a statement outside a
 * transaction is wrapped here, below the driver:
 * - PostgreSQL: one simple-protocol round trip, `SELECT set_config(…), set_config(…); <the statement>`, its
 *   parameters inlined as literals. The statements of one simple query run in one implicit transaction, so the
 *   settings hold for the statement and end after it; the organization id is a validated uuid.
 * - PGlite: a transaction around the statement (in process, no round trips).
 *
 * The scope of an async context is set by whoever knows it: the API once it has authenticated the caller
 * (`actFor`, inside `withTenantScope`), a bulk runner for an operation's organization, maintenance across
 * organizations (`runAs(ALL_ORGANIZATIONS, …)`), the demo seed creating organizations (`runAs(AS_OWNER, …)`).
 * Outside any scope statements run as the connection's role.
 *
 * Which connection: with `DATABASE_OWNER_URL` set, work that is not one organization's (`ALL_ORGANIZATIONS`,
 * `AS_OWNER`) goes to the owner's connections and everything else to `DATABASE_URL`'s, whose role can then be one
 * that only `softdelete_app`'s privileges reach (src/db/owner-routing.ts).
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** The role tenant work acts as (migration 0005). */
export const APP_ROLE = "softdelete_app";
/** The role of the narrow path that sees every organization (migration 0005). */
export const MAINTENANCE_ROLE = "softdelete_maintenance";

/**
 * One organization's rows; every organization's (maintenance); or the tables' owner itself, no role switch (the
 * demo seed, which creates organizations: only the owner may).
 */
export type TenantScope = { organizationId: string } | { allOrganizations: true } | { owner: true };

export const ALL_ORGANIZATIONS: TenantScope = { allOrganizations: true };
export const AS_OWNER: TenantScope = { owner: true };

/** Work for one organization, which the application's own connections do; the others are the owner's. */
export const isOrganizationScope = (scope: TenantScope | undefined): scope is { organizationId: string } =>
  scope !== undefined && "organizationId" in scope;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The statement that makes the current transaction act for `scope` (none for the owner itself); the uuid is
 * checked before it is inlined.
 */
export function scopeStatement(scope: TenantScope): string | undefined {
  if ("owner" in scope) return undefined;
  if ("allOrganizations" in scope) return `SELECT set_config('role', '${MAINTENANCE_ROLE}', true)`;
  if (!UUID.test(scope.organizationId))
    throw new TypeError(`a tenant scope needs an organization uuid, but got: ${JSON.stringify(scope.organizationId)}`);
  return (
    `SELECT set_config('role', '${APP_ROLE}', true), ` +
    `set_config('app.organization_id', '${scope.organizationId.toLowerCase()}', true)`
  );
}

interface Holder {
  scope: TenantScope | undefined;
}

const storage = new AsyncLocalStorage<Holder>();

/** Runs `work` (and everything it starts) acting for `scope`; undefined: as the connection's role. */
export function runAs<T>(scope: TenantScope | undefined, work: () => T): T {
  return storage.run({ scope }, work);
}

/**
 * Runs `work` in a scope decided later, by `actFor` (a request whose caller is known only once its token is
 * read). Until then, and if never, statements run as the connection's role.
 */
export function withTenantScope<T>(work: () => T): T {
  return storage.run({ scope: undefined }, work);
}

/** Sets the scope of the current `withTenantScope`/`runAs` (no-op outside one); once set it cannot change. */
export function actFor(scope: TenantScope): void {
  const holder = storage.getStore();
  if (!holder) return;
  if (holder.scope && JSON.stringify(holder.scope) !== JSON.stringify(scope))
    throw new Error(
      `this async context already acts for ${JSON.stringify(holder.scope)}, not ${JSON.stringify(scope)}`,
    );
  holder.scope = scope;
}

/** The scope of the current async context, if any. */
export const currentTenant = (): TenantScope | undefined => storage.getStore()?.scope;
