import { eq } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { withReadScope } from "../db/read-scope.js";
import { organizations } from "../db/schema/index.js";

/**
 * Organization slug → id. Organizations are never deleted, so a found slug is cached for the process. A miss is
 * looked up on the primary: a replica behind it would refuse a token of an organization created a moment ago.
 */
export class OrganizationDirectory {
  private readonly cache = new Map<string, string>();
  constructor(private readonly db: Database) {}

  async idOf(slug: string): Promise<string | undefined> {
    const hit = this.cache.get(slug);
    if (hit) return hit;
    // Awaited inside the scope: a drizzle query runs when awaited, not when built.
    const [org] = await withReadScope(
      false,
      async () =>
        await this.db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, slug)),
    );
    if (org) this.cache.set(slug, org.id);
    return org?.id;
  }
}
