/**
 * Demo data for a first start: organizations `demo` and `acme`, each with users, projects, tasks, comments
 * (with replies) and assignments, plus a trash to look at: rows deleted on their own and one project deleted
 * with everything under it. The content is fixed (no randomness), so tests can count it.
 *
 * Invariant: seeding happens at most once per database: only when the organizations table is empty, and a
 * concurrent seeder (a second instance starting) is stopped by the organizations' unique slugs. Each row is
 * its own engine transaction rather than one for the whole seed, so that rows get distinct `created_at`
 * values and lists show them in the order written; the price is that a crash mid-seed leaves a partial demo
 * that is not completed later (delete the database to start over).
 */
import { inArray } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { organizations } from "../db/schema/index.js";
import { AS_OWNER, runAs } from "../db/tenant-scope.js";
import type { AnyEntityDefinition, EntityDefinition } from "../domain/define.js";
import { comment as commentEntity } from "../domain/entities/comment.js";
import { project as projectEntity } from "../domain/entities/project.js";
import { taskAssignment as assignmentEntity } from "../domain/entities/task-assignment.js";
import { task as taskEntity } from "../domain/entities/task.js";
import { user as userEntity } from "../domain/entities/user.js";
import type { OperationContext } from "../engine/context.js";
import type { SoftDeleteEngine } from "../engine/engine.js";
import type { SoftDeletableTable } from "../engine/registry.js";
import { EngineError } from "../engine/errors.js";

export interface SeedResult {
  /** False when any organization already existed: nothing was written. */
  seeded: boolean;
  /** The demo organizations as they now exist (those of them that exist, when seeding was skipped). */
  organizations: { slug: string; id: string }[];
}

/** The subject written into created_by/deleted_by and the audit trail's actor. */
export const SEED_ACTOR = "seed";

export const DEMO_ORGANIZATIONS = [
  { slug: "demo", name: "Demo Organization" },
  { slug: "acme", name: "Acme Corporation" },
] as const;

/** Email handles (`<handle>@<org slug>.test`) and names; the first is the admin, the last is deleted. */
const USERS = [
  ["admin", "Demo Admin"],
  ["ada", "Ada Lovelace"],
  ["grace", "Grace Hopper"],
  ["alan", "Alan Turing"],
  ["katherine", "Katherine Johnson"],
  ["linus", "Linus Torvalds"],
  ["margaret", "Margaret Hamilton"],
  ["ken", "Ken Thompson"],
] as const;
const DELETED_USER = 7;
/** Users tasks are assigned to (by index in USERS): never the admin, never the deleted user. */
const ASSIGNEES = [1, 2, 3, 4, 5, 6];

interface ProjectSpec {
  slug: string;
  name: string;
  description?: string;
  /** Index in USERS. */
  lead?: number;
  tasks: string[];
}

const PROJECTS: ProjectSpec[] = [
  {
    slug: "website",
    name: "Website relaunch",
    description: "New marketing site and documentation portal.",
    lead: 1,
    tasks: [
      "Draft the information architecture",
      "Choose a static site generator",
      "Design the landing page",
      "Write the pricing page copy",
      "Set up preview deployments",
      "Migrate the blog posts",
      "Add search to the docs",
      "Accessibility audit",
      "Configure redirects from old URLs",
      "Launch checklist",
    ],
  },
  {
    slug: "mobile",
    name: "Mobile app",
    description: "iOS and Android client for task tracking on the go.",
    lead: 2,
    tasks: [
      "Offline sync design",
      "Push notification service",
      "Login with the web session",
      "Task list screen",
      "Task detail screen",
      "Crash reporting",
      "Beta program on TestFlight",
      "Store listing screenshots",
    ],
  },
  {
    slug: "billing",
    name: "Billing service",
    // Led by the user the seed deletes: the lead is detached, and re-attached if that user is restored.
    lead: DELETED_USER,
    tasks: [
      "Invoice PDF rendering",
      "Tax rates per country",
      "Retry failed card payments",
      "Usage metering export",
      "Dunning emails",
      "Refund workflow",
      "Reconcile with the ledger",
    ],
  },
  {
    slug: "legacy",
    name: "Legacy migration",
    description: "Move the old on-premise tracker's data over. Cancelled: the seed deletes it with its tasks.",
    tasks: [
      "Export the old database",
      "Map old statuses to new ones",
      "Import attachments",
      "Freeze writes on the old tracker",
      "Decommission the old servers",
    ],
  },
];

const STATUSES = ["TODO", "IN_PROGRESS", "DONE"] as const;

/**
 * Seeds the demo organizations when the database has no organization at all; otherwise changes nothing.
 * Rows are written through the engine (actor {@link SEED_ACTOR}), so each has its CREATE audit entry and
 * every deletion its SOFT_DELETE entries under one operation id. The engine's options and policies apply: a
 * deletion it refuses as RESTRICTED (cascades turned off, a low MAX_CASCADE_DEPTH) is left out of the demo.
 */
export async function seedDemo(db: Database, engine: SoftDeleteEngine): Promise<SeedResult> {
  let seeded = false;
  const [existing] = await db.select({ id: organizations.id }).from(organizations).limit(1);
  if (!existing) {
    // A concurrent seeder that got here too waits on the slugs' unique index, then inserts nothing. Creating
    // organizations is the tables' owner's (DATABASE_OWNER_URL when set); each one's rows then act for it.
    // (Awaited inside: a drizzle query runs when awaited, and must run in the owner's scope.)
    const created = await runAs(
      AS_OWNER,
      async () =>
        await db
          .insert(organizations)
          .values(DEMO_ORGANIZATIONS.map((o) => ({ ...o, createdBy: SEED_ACTOR, updatedBy: SEED_ACTOR })))
          .onConflictDoNothing({ target: organizations.slug })
          .returning({ id: organizations.id, slug: organizations.slug }),
    );
    for (const org of created)
      await runAs(engine.rowLevelSecurity ? { organizationId: org.id } : undefined, () =>
        seedOrganization(engine, { organizationId: org.id, actor: SEED_ACTOR }, org.slug),
      );
    seeded = created.length > 0;
  }
  const order: string[] = DEMO_ORGANIZATIONS.map((o) => o.slug);
  const found = await db
    .select({ id: organizations.id, slug: organizations.slug })
    .from(organizations)
    .where(inArray(organizations.slug, order));
  found.sort((a, b) => order.indexOf(a.slug) - order.indexOf(b.slug));
  return { seeded, organizations: found };
}

async function seedOrganization(engine: SoftDeleteEngine, ctx: OperationContext, slug: string) {
  const users: string[] = [];
  for (const [handle, name] of USERS)
    users.push(await create(engine, ctx, userEntity, { email: `${handle}@${slug}.test`, name }));
  const user = (i: number) => users[i % users.length]!;

  // Tasks are numbered across projects (0–29); the comment and assignment pattern follows that number.
  const tasks: string[] = [];
  const projects: string[] = [];
  const secondComments = new Map<number, string>();
  const assignments = new Map<number, string[]>();
  for (const spec of PROJECTS) {
    const project = await create(engine, ctx, projectEntity, {
      slug: spec.slug,
      name: spec.name,
      ...(spec.description ? { description: spec.description } : {}),
      ...(spec.lead !== undefined ? { leadId: user(spec.lead) } : {}),
    });
    projects.push(project);
    for (const title of spec.tasks) {
      const i = tasks.length;
      const task = await create(engine, ctx, taskEntity, { projectId: project, title, status: STATUSES[i % 3] });
      tasks.push(task);
      // Two of every three tasks have a comment; every other one of those a reply; every fifth task a second.
      if (i % 3 !== 2) {
        const first = await create(engine, ctx, commentEntity, {
          taskId: task,
          authorId: user(i),
          body: `Starting on "${title}".`,
        });
        if (i % 2 === 0)
          await create(engine, ctx, commentEntity, {
            taskId: task,
            authorId: user(i + 1),
            parentId: first,
            body: "Sounds good, ping me when it is ready for review.",
          });
      }
      if (i % 5 === 0) {
        const second = await create(engine, ctx, commentEntity, {
          taskId: task,
          authorId: user(i + 3),
          body: "Linking the notes from the planning meeting.",
        });
        secondComments.set(i, second);
      }
      // One assignee each; every third task a second one.
      const assignees = [ASSIGNEES[i % ASSIGNEES.length]!];
      if (i % 3 === 0) assignees.push(ASSIGNEES[(i + 3) % ASSIGNEES.length]!);
      const ids: string[] = [];
      for (const a of assignees)
        ids.push(await create(engine, ctx, assignmentEntity, { taskId: task, userId: user(a) }));
      assignments.set(i, ids);
    }
  }

  // The trash. One legacy task is deleted before its project, so restoring the project leaves that one deleted.
  await trash(engine, ctx, taskEntity, tasks[3]!, "Duplicate task");
  await trash(engine, ctx, taskEntity, tasks[26]!, "Out of scope for the migration");
  await trash(engine, ctx, commentEntity, secondComments.get(10)!, "Posted on the wrong task");
  await trash(engine, ctx, assignmentEntity, assignments.get(12)![0]!, "Reassigned");
  await trash(engine, ctx, userEntity, user(DELETED_USER), "Left the company");
  await trash(engine, ctx, projectEntity, projects[3]!, "Project cancelled");
}

/**
 * Creates one row of a declared entity through the engine and returns its id. The values are checked against
 * the entity's table, so a renamed column or entity breaks the seed at compile time, not at the first start.
 */
async function create<T extends SoftDeletableTable>(
  engine: SoftDeleteEngine,
  ctx: OperationContext,
  entity: EntityDefinition<T>,
  values: Omit<T["$inferInsert"], "organizationId">,
): Promise<string> {
  return (await engine.create(entity.name, ctx, values)).id;
}

/** Soft-deletes one row; a deletion the engine refuses as RESTRICTED is left out of the demo. */
async function trash(
  engine: SoftDeleteEngine,
  ctx: OperationContext,
  entity: AnyEntityDefinition,
  id: string,
  reason: string,
) {
  try {
    await engine.softDelete(entity.name, ctx, id, { reason });
  } catch (err) {
    if (!(err instanceof EngineError && err.code === "RESTRICTED")) throw err;
  }
}
