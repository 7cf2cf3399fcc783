/**
 * `/readyz`: ready when the primary answers through `DATABASE_URL` (the pooler, if there is one) within 2 s.
 * Replicas are reported one by one but never make the instance unready: a replica that lags or fails is skipped
 * and the primary serves its reads.
 */
import { sql } from "drizzle-orm";
import type { Request, Response } from "express";
import type { DatabaseHandle } from "../db/database.js";

export function readinessHandler(handle: DatabaseHandle) {
  return async (_req: Request, res: Response) => {
    const replicas = handle.replicas ? { replicas: handle.replicas.status() } : {};
    let timer: NodeJS.Timeout | undefined;
    try {
      // An embedded database whose directory was deleted still answers from memory, and loses every write.
      if (handle.intact && !handle.intact()) throw new Error("data directory gone");
      await Promise.race([
        handle.db.execute(sql`SELECT 1`),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("timeout")), 2000))),
      ]);
      res.json({ status: "ready", database: handle.kind, ...replicas });
    } catch {
      res.status(503).json({ status: "unavailable", database: handle.kind, ...replicas });
    } finally {
      clearTimeout(timer);
    }
  };
}
