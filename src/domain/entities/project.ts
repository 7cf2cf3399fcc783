/** A project of an organization, with an optional lead. */
import { Length, Matches, MaxLength } from "class-validator";
import { type AnyPgColumn, pgTable, text, uuid } from "drizzle-orm/pg-core";
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
import { users } from "./user.js";

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const SLUG_MESSAGE = "slug must be lowercase letters, digits and single dashes";

export const projects = pgTable(
  "projects",
  {
    id: idColumn(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    /** The project's lead; detached (set to null) when the lead is soft-deleted, re-attached on restore. */
    leadId: uuid("lead_id").references((): AnyPgColumn => users.id, { onDelete: "set null" }),
    ...trackingColumns(),
    ...softDeleteColumns(),
  },
  (t) => [
    liveUniqueIndex("projects_org_slug_live_key", t.organizationId, t.slug),
    liveIndex("projects_org_live_idx", t.organizationId, t.createdAt, t.id),
    liveIndex("projects_lead_live_idx", t.leadId),
    deletedAtIndex("projects_deleted_at_idx", t.deletedAt),
  ],
);

export const project = defineEntity({
  name: "Project",
  table: projects,
  fields: ["slug", "name", "description"],
  freeText: ["name", "description"],
  references: {
    // A project outlives its lead: the lead reference is cleared, and set again when the lead is restored.
    leadId: {
      target: "User",
      relation: "ledProjects",
      onDelete: "DETACH",
      toOne: { field: "lead", description: "The project lead; null when none or deleted." },
    },
  },
  inputs: {
    slug: {
      create: "required",
      update: "optional",
      rules: [Length(1, 64), Matches(SLUG, { message: SLUG_MESSAGE })],
    },
    name: { create: "required", update: "optional", rules: [Length(1, 200)] },
    description: { create: "optional", update: "optional", rules: [MaxLength(10_000)] },
    leadId: { create: "optional", update: "optional", description: "A User id." },
  },
  queries: { list: "projects", single: "project" },
  bulkFilters: { userId: { column: "leadId" } },
});
