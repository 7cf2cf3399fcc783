/**
 * Request-scoped DataLoaders: one set per HTTP request or WebSocket operation, never shared, so a loader's
 * cache never outlives the request that filled it (or serves one tenant's rows to another).
 * Every relation field resolves through here, which batches each level of a nested query into one statement.
 */
import DataLoader from "dataloader";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { OperationContext } from "../engine/context.js";
import type { SoftDeleteEngine } from "../engine/engine.js";
import { countsByParent, pagesByParent, type Page, type PageArgs, type Through } from "../engine/read.js";
import type { Row } from "../engine/rows.js";
import type { Visibility } from "../engine/visibility.js";

export interface ChildrenSpec {
  type: string;
  column: PgColumn;
  visibility: Visibility;
  args: PageArgs;
}

export interface ThroughSpec {
  type: string;
  pivotType: string;
  parentColumn: PgColumn;
  targetColumn: PgColumn;
  visibility: Visibility;
  args: PageArgs;
}

export class Loaders {
  private readonly cache = new Map<string, DataLoader<string, unknown>>();

  constructor(
    private readonly engine: SoftDeleteEngine,
    private readonly op: OperationContext,
  ) {}

  private get<V>(key: string, batch: (keys: readonly string[]) => Promise<V[]>): DataLoader<string, V> {
    let loader = this.cache.get(key) as DataLoader<string, V> | undefined;
    if (!loader) {
      // Dispatch once the event loop turn is over, not after the current promise jobs: resolvers reach
      // `load` at different promise depths, and one batch per level is the point.
      loader = new DataLoader<string, V>(batch, { batchScheduleFn: (dispatch) => void setImmediate(dispatch) });
      this.cache.set(key, loader as DataLoader<string, unknown>);
    }
    return loader;
  }

  /** Rows by id; null when missing, of another organization, or not admitted by `visibility`. */
  byId(type: string, visibility: Visibility): DataLoader<string, Row | null> {
    return this.get(`byId:${type}:${visibility}`, async (ids) => {
      const found = await this.engine.findMany(type, this.op, ids, visibility);
      const byId = new Map(found.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    });
  }

  /** Child counts per parent id (asked for only when a client selects `totalCount`). */
  private counts(key: string, type: string, visibility: Visibility, link: { column: PgColumn } | Through) {
    const entity = this.engine.registry.entity(type);
    return this.get(`count:${key}`, async (parentIds) => {
      const counts = await countsByParent(this.engine.db, entity, this.op, visibility, parentIds, link);
      return parentIds.map((id) => counts.get(id) ?? 0);
    });
  }

  private pages(
    key: string,
    type: string,
    visibility: Visibility,
    args: PageArgs,
    link: { column: PgColumn } | Through,
  ) {
    const entity = this.engine.registry.entity(type);
    const counter = this.counts(key, type, visibility, link);
    const pageKey = `${key}:${args.first}:${args.after?.at}:${args.after?.id}`;
    return this.get(pageKey, async (parentIds) => {
      const pages = await pagesByParent(this.engine.db, entity, this.op, visibility, parentIds, args, link, (id) =>
        counter.load(id),
      );
      return parentIds.map((id) => pages.get(id)!);
    });
  }

  /** A page of children per parent id. */
  children(spec: ChildrenSpec): DataLoader<string, Page> {
    const key = `children:${spec.type}:${spec.column.name}:${spec.visibility}`;
    return this.pages(key, spec.type, spec.visibility, spec.args, { column: spec.column });
  }

  /** A page of rows reached over a pivot (many-to-many) per parent id. */
  through(spec: ThroughSpec): DataLoader<string, Page> {
    const key = `through:${spec.type}:${spec.pivotType}:${spec.parentColumn.name}:${spec.visibility}`;
    return this.pages(key, spec.type, spec.visibility, spec.args, {
      pivot: this.engine.registry.entity(spec.pivotType),
      pivotVisibility: spec.visibility,
      parentColumn: spec.parentColumn,
      targetColumn: spec.targetColumn,
    });
  }
}
