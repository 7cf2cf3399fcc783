/**
 * The GraphQL IDE (ruru, a GraphiQL build) served entirely from this process: its scripts and styles come
 * from the installed package under /ruru-static/, so it works with no internet access.
 */
import type { Express, Request, Response } from "express";
import { ruruHTML } from "ruru/server";
import { serveStatic } from "ruru/static";

export const IDE_STATIC_PATH = "/ruru-static/";

export function wantsHtml(req: Request): boolean {
  return req.method === "GET" && (req.headers.accept ?? "").includes("text/html");
}

export function mountIde(app: Express, graphqlPath: string) {
  const html = ruruHTML({ endpoint: graphqlPath, staticPath: IDE_STATIC_PATH });
  app.use(IDE_STATIC_PATH, serveStatic(IDE_STATIC_PATH) as never);
  const page = (_req: Request, res: Response) => void res.type("html").send(html);
  app.get("/", page);
  app.get(graphqlPath, (req, res, next) => (wantsHtml(req) ? page(req, res) : next()));
}
