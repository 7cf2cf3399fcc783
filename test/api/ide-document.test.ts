/**
 * The IDE's opening tour is written from the domain model: for the example model, for the test model with an
 * extra entity, and for a model whose deepest entity is that extra one, it validates against the model's own
 * schema and walks that model's entities (test/api/ide.test.ts checks the served page carries it).
 */
import {
  Kind,
  parse,
  validate,
  visit,
  type ArgumentNode,
  type FieldNode,
  type ObjectValueNode,
  type OperationDefinitionNode,
} from "graphql";
import { describe, expect, test } from "vitest";
import { DomainModel } from "../../src/domain/domain-model.js";
import { project } from "../../src/domain/entities/project.js";
import { task } from "../../src/domain/entities/task.js";
import { user } from "../../src/domain/entities/user.js";
import { MODEL } from "../../src/domain/model.js";
import { createSchema } from "../../src/graphql/schema.js";
import { ideDocument } from "../../src/server/ide-document.js";
import { note, TEST_MODEL } from "../support/note-entity.js";

/** What a tour reads and deletes, taken from its parsed operations. */
function tour(document: string) {
  const operations = parse(document).definitions as OperationDefinitionNode[];
  const connections: string[] = [];
  let includeDeleted: string | undefined;
  let bulk: ArgumentNode | undefined;
  visit(operations[0]!, {
    Field(node: FieldNode) {
      const args = node.arguments?.map((a) => a.name.value) ?? [];
      if (args.includes("first")) connections.push(node.name.value);
      if (args.includes("includeDeleted")) includeDeleted = node.name.value;
    },
  });
  visit(operations[3]!, {
    Field(node: FieldNode) {
      if (node.name.value === "bulkSoftDelete") bulk = node.arguments?.find((a) => a.name.value !== "reason");
    },
  });
  const filter =
    bulk?.value.kind === Kind.OBJECT
      ? Object.fromEntries(
          (bulk.value as ObjectValueNode).fields.map((f) => [
            f.name.value,
            f.value.kind === Kind.VARIABLE ? `$${f.value.name.value}` : (f.value as { value: string }).value,
          ]),
        )
      : undefined;
  return {
    operations: operations.map((o) => `${o.operation} ${o.name?.value}`),
    connections,
    includeDeleted,
    bulk: bulk?.name.value,
    filter,
  };
}

async function validated(model: DomainModel) {
  const document = ideDocument(model);
  expect(validate(await createSchema(model), parse(document))).toEqual([]);
  return document;
}

describe("the IDE's tour", () => {
  test("of the example model: projects with their deleted tasks and live comments, comments deleted in bulk", async () => {
    const document = await validated(MODEL);
    expect(tour(document)).toEqual({
      operations: [
        "query ProjectsWithDeletedTasks",
        "mutation SoftDeleteTask",
        "mutation RestoreTask",
        "mutation BulkDeleteComments",
        "subscription BulkProgress",
      ],
      connections: ["projects", "tasks", "comments"],
      includeDeleted: "tasks",
      bulk: "filter",
      filter: { type: "Comment", taskId: "$id" },
    });
    // Each step says what it does, in the model's words.
    expect(document).toContain(
      "# 1. Projects with their tasks, soft-deleted ones included (EDITOR and above), and each task's live comments.",
    );
    expect(document).toContain("# 2. Soft-delete a task: its comments and assignments go with it");
    expect(document).toContain(
      '# 4. A durable bulk soft delete (ADMIN): every comment of a task, e.g. { "id": "<a task id>" }',
    );
  });

  test("of the test model with an extra entity: the extra entity goes with the deleted task", async () => {
    const document = await validated(TEST_MODEL);
    expect(document).toContain("# 2. Soft-delete a task: its comments, assignments and notes go with it");
    expect(tour(document).connections).toEqual(["projects", "tasks", "comments"]);
  });

  test("of a model whose deepest entity is the extra one: it reads and bulk-deletes notes, and names no comment", async () => {
    const document = await validated(new DomainModel([user, project, task, note]));
    expect(tour(document)).toMatchObject({
      operations: [
        "query ProjectsWithDeletedTasks",
        "mutation SoftDeleteTask",
        "mutation RestoreTask",
        "mutation BulkDeleteNotes",
        "subscription BulkProgress",
      ],
      connections: ["projects", "tasks", "notes"],
      includeDeleted: "tasks",
      filter: { type: "Note", taskId: "$id" },
    });
    expect(document).toContain("# 2. Soft-delete a task: its notes go with it");
    expect(document).not.toMatch(/comment|assign/i);
  });

  test("of a model one level deep: the parent is deleted with its children, which are deleted in bulk", async () => {
    const document = await validated(new DomainModel([user, project, task]));
    expect(tour(document)).toMatchObject({
      connections: ["projects", "tasks"],
      includeDeleted: "tasks",
      filter: { type: "Task", projectId: "$id" },
    });
    expect(document).toContain("# 2. Soft-delete a project: its tasks go with it");
  });

  test("of a model without relations: the root list with deleted rows, and a bulk delete by ids", async () => {
    const document = await validated(new DomainModel([user]));
    expect(tour(document)).toEqual({
      operations: [
        "query UsersWithDeleted",
        "mutation SoftDeleteUser",
        "mutation RestoreUser",
        "mutation BulkDelete",
        "subscription BulkProgress",
      ],
      connections: ["users"],
      includeDeleted: "users",
      bulk: "ids",
      filter: undefined,
    });
    expect(document).toContain("# 2. Soft-delete a user, under an operation id.");
  });
});
