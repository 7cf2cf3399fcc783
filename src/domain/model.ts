/**
 * The example domain, declared once: which tables are soft-deletable and what deleting a parent does over
 * each relation. README ("Deletion policies") explains each choice.
 */
import { comments, projects, taskAssignments, tasks, users } from "../db/schema/index.js";
import {
  Registry,
  type EntityDeclaration,
  type RelationDeclaration,
  type SoftDeletableTable,
} from "../engine/registry.js";

const entity = (name: string, table: unknown): EntityDeclaration => ({ name, table: table as SoftDeletableTable });

export const ENTITIES: EntityDeclaration[] = [
  entity("User", users),
  entity("Project", projects),
  entity("Task", tasks),
  entity("Comment", comments),
  entity("TaskAssignment", taskAssignments),
];

export const RELATIONS: RelationDeclaration[] = [
  // A task belongs to its project: deleting the project deletes its tasks.
  { name: "Project.tasks", parent: "Project", child: "Task", column: tasks.projectId, policy: "CASCADE" },
  // Comments and assignments are parts of a task.
  { name: "Task.comments", parent: "Task", child: "Comment", column: comments.taskId, policy: "CASCADE" },
  {
    name: "Task.assignments",
    parent: "Task",
    child: "TaskAssignment",
    column: taskAssignments.taskId,
    policy: "CASCADE",
  },
  // A reply means nothing without the comment it answers.
  { name: "Comment.replies", parent: "Comment", child: "Comment", column: comments.parentId, policy: "CASCADE" },
  // A deleted user holds no assignments.
  {
    name: "User.assignments",
    parent: "User",
    child: "TaskAssignment",
    column: taskAssignments.userId,
    policy: "CASCADE",
  },
  // A comment outlives its author; `Comment.author` resolves to null while the author is deleted.
  { name: "User.comments", parent: "User", child: "Comment", column: comments.authorId, policy: "NONE" },
  // A project outlives its lead: the lead reference is cleared, and set again when the lead is restored.
  { name: "User.ledProjects", parent: "User", child: "Project", column: projects.leadId, policy: "DETACH" },
];

export type EntityName = "User" | "Project" | "Task" | "Comment" | "TaskAssignment";

export const createRegistry = () => new Registry(ENTITIES, RELATIONS);
