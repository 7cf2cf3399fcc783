import { DateTimeResolver, SafeIntResolver } from "graphql-scalars";
import { Field, Float, Int, ObjectType, registerEnumType } from "type-graphql";

export enum DatabaseKind {
  EMBEDDED = "EMBEDDED",
  SERVER = "SERVER",
}
registerEnumType(DatabaseKind, {
  name: "DatabaseKind",
  description: "EMBEDDED: PGlite in the process. SERVER: PostgreSQL.",
});

export enum Severity {
  INFO = "INFO",
  WARNING = "WARNING",
  CRITICAL = "CRITICAL",
}
registerEnumType(Severity, { name: "Severity" });

export enum HealthScope {
  ORGANIZATION = "ORGANIZATION",
  DATABASE = "DATABASE",
}
registerEnumType(HealthScope, {
  name: "HealthScope",
  description: "ORGANIZATION: the caller's organization only. DATABASE: every organization (operators).",
});

export enum RecommendationKind {
  PURGE_OR_ARCHIVE = "PURGE_OR_ARCHIVE",
  VACUUM = "VACUUM",
  CREATE_INDEX = "CREATE_INDEX",
  ENABLE_PURGE = "ENABLE_PURGE",
  MISSING_TABLE = "MISSING_TABLE",
  DATABASE_UNREACHABLE = "DATABASE_UNREACHABLE",
}
registerEnumType(RecommendationKind, {
  name: "RecommendationKind",
  valuesConfig: {
    PURGE_OR_ARCHIVE: { description: "The deleted share of a table is above HEALTH_DELETED_RATIO_THRESHOLD." },
    VACUUM: { description: "A table holds more dead tuples than HEALTH_DEAD_TUPLES_THRESHOLD." },
    CREATE_INDEX: { description: "A declared partial index is missing or invalid." },
    ENABLE_PURGE: { description: "Rows are past retention and no scheduled purge runs (PURGE_INTERVAL=off)." },
    MISSING_TABLE: { description: "A declared table does not exist in the database." },
    DATABASE_UNREACHABLE: { description: "The database did not answer." },
  },
});

export enum IndexStatus {
  PRESENT = "PRESENT",
  MISSING = "MISSING",
  INVALID = "INVALID",
}
registerEnumType(IndexStatus, {
  name: "IndexStatus",
  valuesConfig: { INVALID: { description: "Present but unusable: a concurrent build that failed." } },
});

@ObjectType({ description: "This instance's connection pool." })
export class PoolStats {
  @Field(() => Int, { description: "Most connections the pool may open (DATABASE_POOL_MAX)." })
  max!: number;

  @Field(() => Int, { description: "Connections open now, busy or idle." })
  total!: number;

  @Field(() => Int)
  idle!: number;

  @Field(() => Int, { description: "Requests queued for a connection." })
  waiting!: number;
}

@ObjectType()
export class DatabaseHealth {
  @Field(() => Boolean)
  reachable!: boolean;

  @Field(() => DatabaseKind)
  kind!: DatabaseKind;

  @Field(() => String, { nullable: true, description: "The server's version string; null when unreachable." })
  serverVersion!: string | null;

  @Field(() => Float, {
    nullable: true,
    description: "Round trip of `SELECT 1` in milliseconds; null when unreachable.",
  })
  latencyMs!: number | null;

  @Field(() => PoolStats, { nullable: true, description: "Null on the embedded database (PGlite), which has no pool." })
  pool!: PoolStats | null;

  @Field(() => String, { nullable: true, description: "Why the database is unreachable." })
  error!: string | null;
}

@ObjectType({ description: "A number of rows, counted or estimated." })
export class RowCount {
  @Field(() => SafeIntResolver)
  count!: number;

  @Field(() => Boolean, {
    description: "True when counted; false for the planner's estimate (tables above HEALTH_EXACT_COUNT_MAX_ROWS).",
  })
  exact!: boolean;
}

@ObjectType({ description: "A partial index the table's declaration expects." })
export class PartialIndexCheck {
  @Field(() => String)
  name!: string;

  @Field(() => Boolean)
  unique!: boolean;

  @Field(() => IndexStatus)
  status!: IndexStatus;

  @Field(() => String, { description: "The statement that creates it as declared." })
  createStatement!: string;
}

@ObjectType({ description: "One soft-deletable table, across every organization." })
export class TableHealth {
  @Field(() => String, { description: "The entity type stored in the table, e.g. Task." })
  entityType!: string;

  @Field(() => String)
  table!: string;

  @Field(() => SafeIntResolver, {
    description:
      "The planner's estimate of the table's rows. Up to HEALTH_EXACT_COUNT_MAX_ROWS the counts are exact, above it estimated.",
  })
  estimatedRows!: number;

  @Field(() => RowCount)
  liveRows!: RowCount;

  @Field(() => RowCount)
  deletedRows!: RowCount;

  @Field(() => Float, { description: "deleted / (live + deleted); 0 for an empty table." })
  deletedRatio!: number;

  @Field(() => DateTimeResolver, {
    nullable: true,
    description:
      "The earliest deletion; null when no row is deleted, or when the table is estimated and has no index on deleted_at to read it cheaply.",
  })
  oldestDeletion!: Date | null;

  @Field(() => Int, { description: "The type's retention in days (0: kept forever)." })
  retentionDays!: number;

  @Field(() => RowCount, { description: "Deleted rows older than the type's retention." })
  rowsPastRetention!: RowCount;

  @Field(() => SafeIntResolver, {
    nullable: true,
    description:
      "Bytes of the table (heap, TOAST, free space and visibility maps); null in ORGANIZATION scope (other tenants' rows share the table).",
  })
  tableBytes!: number | null;

  @Field(() => SafeIntResolver, {
    nullable: true,
    description: "Bytes of all its indexes; null in ORGANIZATION scope.",
  })
  indexBytes!: number | null;

  @Field(() => SafeIntResolver, {
    nullable: true,
    description:
      "Dead tuples as the statistics views last counted them (they lag behind writes by up to a few seconds).",
  })
  deadTuples!: number | null;

  @Field(() => DateTimeResolver, { nullable: true, description: "Last manual VACUUM." })
  lastVacuum!: Date | null;

  @Field(() => DateTimeResolver, {
    nullable: true,
    description: "Last autovacuum; always null on PGlite, which runs no autovacuum.",
  })
  lastAutovacuum!: Date | null;

  @Field(() => DateTimeResolver, { nullable: true, description: "Last manual ANALYZE." })
  lastAnalyze!: Date | null;

  @Field(() => DateTimeResolver, {
    nullable: true,
    description: "Last autoanalyze; always null on PGlite, which runs no autovacuum.",
  })
  lastAutoanalyze!: Date | null;

  @Field(() => SafeIntResolver, { nullable: true, description: "Sequential scans started on the table." })
  seqScans!: number | null;

  @Field(() => SafeIntResolver, { nullable: true, description: "Index scans started on the table." })
  indexScans!: number | null;

  @Field(() => [PartialIndexCheck])
  partialIndexes!: PartialIndexCheck[];
}

@ObjectType()
export class Recommendation {
  @Field(() => Severity)
  severity!: Severity;

  @Field(() => RecommendationKind)
  kind!: RecommendationKind;

  @Field(() => String, { nullable: true, description: "The entity type concerned; null for the database as a whole." })
  entityType!: string | null;

  @Field(() => String, { nullable: true })
  table!: string | null;

  @Field(() => String)
  message!: string;

  @Field(() => String, { description: "What to run or change." })
  action!: string;
}

@ObjectType({ description: "How much dead weight each soft-deletable table carries, and what to do about it." })
export class HealthReport {
  @Field(() => HealthScope, {
    description:
      "ORGANIZATION (an organization's ADMIN): counts of the caller's organization only, and null for every figure other tenants move (sizes, dead tuples, vacuum and scan statistics, the pool). DATABASE (an operator, OPERATOR_SUBJECTS): counts over every organization and every figure.",
  })
  scope!: HealthScope;

  @Field(() => DateTimeResolver)
  generatedAt!: Date;

  @Field(() => Float, { description: "Milliseconds the report took." })
  durationMs!: number;

  @Field(() => DatabaseHealth)
  database!: DatabaseHealth;

  @Field(() => [TableHealth])
  tables!: TableHealth[];

  @Field(() => [Recommendation])
  recommendations!: Recommendation[];
}
