/**
 * Request-scoped DataLoaders: one set per HTTP request or WebSocket operation, never shared, so a loader's
 * cache never outlives the request that filled it (or serves one tenant's rows to another).
 * Every relation field resolves through here, which batches each level of a nested query into one statement.
 */
import DataLoader from "dataloader";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { OperationContext } from "../engine/context.js";
import type { SoftDeleteEngine } from "../engine/engine.js";
import { pagesByParent, type Page, type PageArgs } from "../engine/read.js";
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
      loader = new DataLoader<string, V>(batch);
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

  /** A page of children per parent id. */
  children(spec: ChildrenSpec): DataLoader<string, Page> {
    const entity = this.engine.registry.entity(spec.type);
    const key = `children:${spec.type}:${spec.column.name}:${spec.visibility}:${spec.args.first}:${spec.args.after?.at}:${spec.args.after?.id}`;
    return this.get(key, async (parentIds) => {
      const pages = await pagesByParent(this.engine.db, entity, this.op, spec.visibility, parentIds, spec.args, {
        column: spec.column,
      });
      return parentIds.map((id) => pages.get(id)!);
    });
  }

  /** A page of rows reached over a pivot (many-to-many) per parent id. */
  through(spec: ThroughSpec): DataLoader<string, Page> {
    const entity = this.engine.registry.entity(spec.type);
    const pivot = this.engine.registry.entity(spec.pivotType);
    const key = `through:${spec.type}:${spec.pivotType}:${spec.parentColumn.name}:${spec.visibility}:${spec.args.first}:${spec.args.after?.at}:${spec.args.after?.id}`;
    return this.get(key, async (parentIds) => {
      const pages = await pagesByParent(this.engine.db, entity, this.op, spec.visibility, parentIds, spec.args, {
        pivot,
        pivotVisibility: spec.visibility,
        parentColumn: spec.parentColumn,
        targetColumn: spec.targetColumn,
      });
      return parentIds.map((id) => pages.get(id)!);
    });
  }
}
