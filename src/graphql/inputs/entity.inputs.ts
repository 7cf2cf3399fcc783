import { IsEmail, IsIn, IsOptional, Length, Matches, MaxLength } from "class-validator";
import { Field, ID, InputType } from "type-graphql";

export const TASK_STATUSES = ["TODO", "IN_PROGRESS", "DONE"] as const;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const SLUG_MESSAGE = "slug must be lowercase letters, digits and single dashes";

@InputType()
export class CreateUserInput {
  @Field(() => String)
  @IsEmail({}, { message: "email must be an email address" })
  @MaxLength(254)
  email!: string;

  @Field(() => String)
  @Length(1, 200)
  name!: string;
}

@InputType()
export class UpdateUserInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsEmail({}, { message: "email must be an email address" })
  @MaxLength(254)
  email?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200)
  name?: string;
}

@InputType()
export class CreateProjectInput {
  @Field(() => String)
  @Length(1, 64)
  @Matches(SLUG, { message: SLUG_MESSAGE })
  slug!: string;

  @Field(() => String)
  @Length(1, 200)
  name!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(10_000)
  description?: string;

  @Field(() => ID, { nullable: true, description: "A User id." })
  @IsOptional()
  leadId?: string;
}

@InputType()
export class UpdateProjectInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 64)
  @Matches(SLUG, { message: SLUG_MESSAGE })
  slug?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200)
  name?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(10_000)
  description?: string;

  @Field(() => ID, { nullable: true, description: "A User id." })
  @IsOptional()
  leadId?: string;
}

@InputType()
export class CreateTaskInput {
  @Field(() => ID, { description: "A Project id." })
  projectId!: string;

  @Field(() => String)
  @Length(1, 300)
  title!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(10_000)
  description?: string;

  @Field(() => String, { nullable: true, description: "TODO, IN_PROGRESS or DONE." })
  @IsOptional()
  @IsIn(TASK_STATUSES, { message: `status must be one of ${TASK_STATUSES.join(", ")}` })
  status?: string;
}

@InputType()
export class UpdateTaskInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 300)
  title?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(10_000)
  description?: string;

  @Field(() => String, { nullable: true, description: "TODO, IN_PROGRESS or DONE." })
  @IsOptional()
  @IsIn(TASK_STATUSES, { message: `status must be one of ${TASK_STATUSES.join(", ")}` })
  status?: string;
}

@InputType()
export class CreateCommentInput {
  @Field(() => ID, { description: "A Task id." })
  taskId!: string;

  @Field(() => String)
  @Length(1, 10_000)
  body!: string;

  @Field(() => ID, { nullable: true, description: "The Comment this one replies to." })
  @IsOptional()
  parentId?: string;

  @Field(() => ID, { nullable: true, description: "A User id; defaults to the user whose email is the token subject." })
  @IsOptional()
  authorId?: string;
}

@InputType()
export class UpdateCommentInput {
  @Field(() => String)
  @Length(1, 10_000)
  body!: string;
}
