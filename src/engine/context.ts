/** Who performs an engine operation, for which organization, within which request. */
export interface OperationContext {
  organizationId: string;
  /** The actor's subject (the token's `sub`); written into created_by/updated_by/deleted_by. */
  actor: string;
  requestId?: string | undefined;
}
