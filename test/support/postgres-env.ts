/**
 * Runs before each test file of the PostgreSQL project. When global setup started a container, its URL is only
 * known then (hence `inject`): it becomes `TEST_DATABASE_URL` here, as a URL the caller gave would be, and the
 * topology variables go (see topology.ts): the container is one plain server, with no pooler or replica.
 */
import { inject } from "vitest";

const url = inject("postgresUrl");
if (url && process.env.TEST_POSTGRES_SOURCE === "container") {
  process.env.TEST_DATABASE_URL = url;
  delete process.env.TEST_DATABASE_DIRECT_URL;
  delete process.env.TEST_REPLICA_URL;
}
