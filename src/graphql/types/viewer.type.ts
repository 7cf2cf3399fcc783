import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { ROLES, type Role } from "../../auth/roles.js";

export const RoleEnum = Object.fromEntries(ROLES.map((r) => [r, r])) as { [K in Role]: K };
registerEnumType(RoleEnum, {
  name: "Role",
  description:
    "VIEWER reads; EDITOR also writes and sees deleted rows; ADMIN also hard-deletes and reads the audit log.",
});

@ObjectType()
export class Organization {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  slug!: string;

  @Field(() => String)
  name!: string;
}

@ObjectType({ description: "The caller, as its token says." })
export class Viewer {
  @Field(() => String)
  subject!: string;

  @Field(() => RoleEnum)
  role!: Role;

  @Field(() => Organization)
  organization!: Organization;
}
