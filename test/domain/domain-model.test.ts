/**
 * The domain model as a typed API (what a read compiler reads instead of type-graphql's metadata), and
 * declaration mistakes refused when the model is built.
 */
import { expect, test } from "vitest";
import { defineEntity } from "../../src/domain/define.js";
import { DomainModel } from "../../src/domain/domain-model.js";
import { taskAssignments } from "../../src/domain/entities/task-assignment.js";
import { tasks } from "../../src/domain/entities/task.js";
import { MODEL } from "../../src/domain/model.js";
import { DeclarationError } from "../../src/engine/errors.js";

test("each entity's type name, table, scalar fields and relation fields", () => {
  const task = MODEL.type("Task");
  expect(task.tableName).toBe("tasks");
  expect(task.fields.find((f) => f.name === "title")).toMatchObject({
    columnName: "title",
    type: "String",
    nullable: false,
  });
  expect(task.fields.find((f) => f.name === "description")).toMatchObject({ type: "String", nullable: true });
  expect(task.fields.find((f) => f.name === "id")).toMatchObject({ type: "ID", globalId: true });
  expect(task.fields.find((f) => f.name === "deletedAt")).toMatchObject({ type: "DateTime", nullable: true });

  const byName = Object.fromEntries(task.relations.map((r) => [r.name, r]));
  expect(byName.project).toMatchObject({
    kind: "toOne",
    target: "Project",
    column: tasks.projectId,
    columnKey: "projectId",
    args: ["includeDeleted"],
  });
  expect(byName.comments).toMatchObject({ kind: "toMany", target: "Comment", columnKey: "taskId" });
  expect(byName.comments!.args).toEqual(["first", "after", "includeDeleted"]);
  expect(byName.assignees).toMatchObject({
    kind: "manyToMany",
    target: "User",
    pivot: "TaskAssignment",
    parentColumn: taskAssignments.taskId,
    targetColumn: taskAssignments.userId,
    parentColumnKey: "taskId",
    targetColumnKey: "userId",
  });
});

test("the root query fields", () => {
  const roots = Object.fromEntries(MODEL.rootFields.map((f) => [f.name, f]));
  expect(Object.keys(roots).sort()).toEqual([
    "comment",
    "node",
    "project",
    "projects",
    "task",
    "tasks",
    "user",
    "users",
  ]);
  expect(roots.tasks).toMatchObject({ kind: "list", type: "Task", filters: [{ arg: "projectId", target: "Project" }] });
  expect(roots.tasks!.args).toEqual(["first", "after", "includeDeleted", "onlyDeleted"]);
  expect(roots.comment).toMatchObject({ kind: "single", type: "Comment", args: ["id", "includeDeleted"] });
  expect(roots.node).toMatchObject({ kind: "node", type: null });
});

test("a declaration naming an undeclared entity or column is refused when the model is built", () => {
  const stray = (references: Record<string, unknown>) =>
    defineEntity({ name: "Stray", table: tasks, references: references as never });
  expect(
    () => new DomainModel([stray({ projectId: { target: "Nowhere", relation: "x", onDelete: "CASCADE" } })]),
  ).toThrow(DeclarationError);
  expect(
    () =>
      new DomainModel([
        ...MODEL.definitions,
        stray({ notAColumn: { target: "Project", relation: "strays", onDelete: "CASCADE" } }),
      ]),
  ).toThrow(/not a column/);
});
