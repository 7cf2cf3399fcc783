// The infrastructure tables. The entities' tables live in their modules (src/domain/entities/), which
// drizzle-kit reads too (drizzle.config.ts).
export * from "./organizations.js";
export * from "./actors.js";
export * from "./audit-log.js";
export * from "./detachments.js";
export * from "./bulk-operations.js";
