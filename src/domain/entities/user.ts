/** A person of an organization: the person entity of erasure, and the one a token subject may name. */
import { IsEmail, Length, MaxLength } from "class-validator";
import { pgTable, text, uuid } from "drizzle-orm/pg-core";
import {
  deletedAtIndex,
  idColumn,
  liveIndex,
  liveUniqueIndex,
  softDeleteColumns,
  trackingColumns,
} from "../../db/schema/columns.js";
import { organizations } from "../../db/schema/organizations.js";
import { defineEntity } from "../define.js";

export const ERASED_USER_NAME = "Erased user";

export const users = pgTable(
  "users",
  {
    id: idColumn(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    email: text("email").notNull(),
    name: text("name").notNull(),
    ...trackingColumns(),
    ...softDeleteColumns(),
  },
  (t) => [
    liveUniqueIndex("users_org_email_live_key", t.organizationId, t.email),
    liveIndex("users_org_live_idx", t.organizationId, t.createdAt, t.id),
    deletedAtIndex("users_deleted_at_idx", t.deletedAt),
  ],
);

export const user = defineEntity({
  name: "User",
  table: users,
  fields: ["email", "name"],
  inputs: {
    email: {
      create: "required",
      update: "optional",
      rules: [IsEmail({}, { message: "email must be an email address" }), MaxLength(254)],
    },
    name: { create: "required", update: "optional", rules: [Length(1, 200)] },
  },
  queries: { list: "users", single: "user" },
  personalData: {
    person: {
      // The email stays unique among live rows, so the live-unique key keeps working.
      identifying: { name: () => ERASED_USER_NAME, email: (id) => `erased-${id}@invalid` },
      // A token subject names a user by email or by id (see ensureActor).
      subjects: ["email", "id"],
    },
  },
});
