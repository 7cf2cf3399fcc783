import { eq } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { organizations } from "../db/schema/index.js";

/** Organization slug → id. Organizations are never deleted, so a found slug is cached for the process. */
export class OrganizationDirectory {
  private readonly cache = new Map<string, string>();
  constructor(private readonly db: Database) {}

  async idOf(slug: string): Promise<string | undefined> {
    const hit = this.cache.get(slug);
    if (hit) return hit;
    const [org] = await this.db
      .select({ id: organizations.id })
      .from(organizations)
      .where(eq(organizations.slug, slug));
    if (org) this.cache.set(slug, org.id);
    return org?.id;
  }
}
