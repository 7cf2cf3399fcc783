import { Field, ObjectType } from "type-graphql";
import { Node } from "./node.interface.js";
import { EntityFields, SoftDeletable } from "./soft-deletable.interface.js";
import { ConnectionType } from "./connection.js";

@ObjectType({ implements: [Node, SoftDeletable], simpleResolvers: true })
export class User extends EntityFields {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  name!: string;
}

@ObjectType({ implements: [Node, SoftDeletable], simpleResolvers: true })
export class Project extends EntityFields {
  @Field(() => String)
  slug!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;
}

@ObjectType({ implements: [Node, SoftDeletable], simpleResolvers: true })
export class Task extends EntityFields {
  @Field(() => String)
  title!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => String)
  status!: string;
}

@ObjectType({ implements: [Node, SoftDeletable], simpleResolvers: true })
export class Comment extends EntityFields {
  @Field(() => String)
  body!: string;
}

@ObjectType({
  implements: [Node, SoftDeletable],
  simpleResolvers: true,
  description: "A user assigned to a task (the many-to-many pivot).",
})
export class TaskAssignment extends EntityFields {}

@ObjectType()
export class UserConnection extends ConnectionType(User, "User") {}
@ObjectType()
export class ProjectConnection extends ConnectionType(Project, "Project") {}
@ObjectType()
export class TaskConnection extends ConnectionType(Task, "Task") {}
@ObjectType()
export class CommentConnection extends ConnectionType(Comment, "Comment") {}
@ObjectType()
export class TaskAssignmentConnection extends ConnectionType(TaskAssignment, "TaskAssignment") {}
