/**
 * Progress events of bulk operations. An event carries only the operation id; listeners re-read the row,
 * which is the truth (events may be coalesced or arrive twice). On PostgreSQL events cross instances through
 * LISTEN/NOTIFY; on PGlite they stay in the process.
 */
import { EventEmitter } from "node:events";
import type { Client, Pool } from "pg";

export const PROGRESS_CHANNEL = "bulk_operation_progress";
export const QUEUED_CHANNEL = "bulk_operation_queued";

export interface BulkEvents {
  /** Announces that operation `id` changed. */
  publish(id: string): Promise<void>;
  /** Announces that a new operation is waiting (wakes runners on every instance). */
  queued(id: string): Promise<void>;
  onProgress(id: string, listener: () => void): () => void;
  onQueued(listener: (id: string) => void): () => void;
  close(): Promise<void>;
}

export class LocalBulkEvents implements BulkEvents {
  protected readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(id: string) {
    this.emitter.emit(`progress:${id}`);
  }

  async queued(id: string) {
    this.emitter.emit("queued", id);
  }

  onProgress(id: string, listener: () => void) {
    this.emitter.on(`progress:${id}`, listener);
    return () => void this.emitter.off(`progress:${id}`, listener);
  }

  onQueued(listener: (id: string) => void) {
    this.emitter.on("queued", listener);
    return () => void this.emitter.off("queued", listener);
  }

  async close() {
    this.emitter.removeAllListeners();
  }
}

/**
 * LISTENs on one session connection of its own (never from the pool, which may be a pooler in transaction mode);
 * NOTIFY goes through the pool. Reconnects if the connection drops.
 */
export class PostgresBulkEvents extends LocalBulkEvents {
  private client: Client | undefined;
  private closed = false;
  private ready: Promise<void>;

  constructor(
    private readonly pool: Pool,
    /** Opens the listening session (see db/sessions.ts). */
    private readonly openSession: () => Promise<Client>,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    super();
    this.ready = this.listen();
  }

  private async listen(): Promise<void> {
    try {
      const client = await this.openSession();
      client.on("notification", this.onNotification);
      // Kept after release too (an ended connection can still report its error): never unhandled.
      client.on("error", (err) => {
        this.onError(err);
        this.reconnect(client);
      });
      this.client = client;
      await client.query(`LISTEN ${PROGRESS_CHANNEL}`);
      await client.query(`LISTEN ${QUEUED_CHANNEL}`);
    } catch (err) {
      this.onError(err);
      const half = this.client;
      this.client = undefined;
      half?.off("notification", this.onNotification);
      await half?.end().catch(() => {});
      if (!this.closed) setTimeout(() => void (this.ready = this.listen()), 1000).unref();
    }
  }

  private readonly onNotification = (msg: { channel: string; payload?: string | undefined }) => {
    if (!msg.payload) return;
    if (msg.channel === PROGRESS_CHANNEL) this.emitter.emit(`progress:${msg.payload}`);
    else if (msg.channel === QUEUED_CHANNEL) this.emitter.emit("queued", msg.payload);
  };

  private reconnect(client: Client) {
    if (this.client !== client) return; // already closed (closing, or a second error event)
    client.off("notification", this.onNotification);
    void client.end().catch(() => {});
    this.client = undefined;
    if (!this.closed) setTimeout(() => void (this.ready = this.listen()), 1000).unref();
  }

  /** Resolves once LISTEN is in place (tests wait for it before publishing from elsewhere). */
  whenListening() {
    return this.ready;
  }

  override async publish(id: string) {
    await this.pool.query("SELECT pg_notify($1, $2)", [PROGRESS_CHANNEL, id]);
  }

  override async queued(id: string) {
    await this.pool.query("SELECT pg_notify($1, $2)", [QUEUED_CHANNEL, id]);
  }

  override async close() {
    this.closed = true;
    await this.ready.catch(() => {});
    const client = this.client;
    if (client) {
      this.client = undefined;
      await client.query(`UNLISTEN *`).catch(() => {});
      client.off("notification", this.onNotification);
      await client.end().catch(() => {});
    }
    await super.close();
  }
}
