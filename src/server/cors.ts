/**
 * Cross-origin access for browser clients on other origins (`CORS_ORIGINS`). An allowed origin gets its preflight
 * answered (any method the API serves, the headers it asked for) and, on every response, permission to send
 * credentials and to read `x-request-id`. Other origins get no CORS headers (the browser then withholds the
 * response) and a refused preflight. CSRF prevention is unchanged: Apollo still requires a preflighted request
 * (JSON content type or a custom header), which is exactly what this lets allowed origins pass.
 */
import type { RequestHandler } from "express";
import { sendErrors } from "./error-response.js";

export const EXPOSED_HEADERS = ["x-request-id"];
const METHODS = "GET, POST, PUT, DELETE, OPTIONS";
/** How long a browser may cache a preflight answer, in seconds. */
const MAX_AGE = 600;

/** @param origins exact origins (`scheme://host[:port]`), or `*` for any origin (never in production). */
export function cors(origins: readonly string[]): RequestHandler {
  const any = origins.includes("*");
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (!origin) return next();
    res.vary("Origin");
    const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
    if (!any && !allowed.has(origin)) {
      if (!preflight) return next();
      sendErrors(req, res, 403, [
        {
          message: `the origin ${origin.slice(0, 200)} is not allowed (CORS_ORIGINS)`,
          extensions: { code: "FORBIDDEN" },
        },
      ]);
      return;
    }
    // The origin itself, never `*`: browsers refuse `*` together with credentials.
    res.setHeader("access-control-allow-origin", origin);
    res.setHeader("access-control-allow-credentials", "true");
    if (!preflight) {
      res.setHeader("access-control-expose-headers", EXPOSED_HEADERS.join(", "));
      return next();
    }
    res.setHeader("access-control-allow-methods", METHODS);
    const asked = req.headers["access-control-request-headers"];
    if (asked) {
      res.setHeader("access-control-allow-headers", asked);
      res.vary("Access-Control-Request-Headers");
    }
    res.setHeader("access-control-max-age", String(MAX_AGE));
    res.status(204).end();
  };
}
