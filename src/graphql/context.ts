import type { Logger } from "pino";
import type { TenantScope } from "../db/tenant-scope.js";
import type { Role } from "../auth/roles.js";
import type { OperationContext } from "../engine/context.js";
import type { SoftDeleteEngine } from "../engine/engine.js";
import type { BulkEvents, BulkQueue, ProgressWatches } from "../engine/bulk/index.js";
import type { Maintenance } from "../engine/maintenance.js";
import type { Loaders } from "./loaders.js";

export type Viewer = {
  subject: string;
  role: Role;
  organizationId: string;
  organizationSlug: string;
  /**
   * When the token expires (ms since the epoch): a WebSocket authenticated with it is closed then, an event stream
   * ended. Undefined for a viewer made without a token (tests, scripts).
   */
  expiresAt?: number | undefined;
};

/** Per request (HTTP) or per operation (WebSocket). A `type`, not an interface: graphql-ws needs it so. */
export type Context = {
  requestId: string;
  viewer: Viewer;
  engine: SoftDeleteEngine;
  loaders: Loaders;
  op: OperationContext;
  log: Logger;
  bulk: BulkServices;
  /** Health report, retention purge, erasure (ADMIN operations). */
  maintenance: Maintenance;
  /**
   * Whom the operation's statements act for under row-level security (src/db/tenant-scope.ts): the viewer's
   * organization; undefined for a tokenless request or with ROW_LEVEL_SECURITY=false.
   */
  tenant?: TenantScope | undefined;
  /** A tokenless HTTP request, allowed only to introspect (INTROSPECTION on); `viewer` then throws. */
  anonymous?: boolean;
  /** The caller is a platform operator (OPERATOR_SUBJECTS): database-wide figures, not only its organization's. */
  operator: boolean;
};

export type BulkServices = {
  queue: BulkQueue;
  events: BulkEvents;
  /** One read per progress event, shared by every subscriber of an operation. */
  progress: ProgressWatches;
};
