/**
 * Failures of the HTTP layer answered as GraphQL JSON, never Express's HTML page or a stack trace: a body that
 * is not JSON, an unsupported charset or content encoding, a body over the size limit (body-parser's errors,
 * which carry `status` and `type`), and anything else thrown before Apollo answers (masked and logged).
 */
import type { ErrorRequestHandler } from "express";
import type { Logger } from "pino";
import { sendErrors } from "./error-response.js";

/** body-parser's error types, with what the client should be told. */
const BODY_ERRORS: Record<string, (err: { message: string; limit?: number }) => string> = {
  "entity.parse.failed": () => "the request body is not valid JSON",
  "entity.too.large": (err) => `the request body is larger than the limit of ${err.limit ?? "?"} bytes`,
  "charset.unsupported": (err) => `${err.message}; send the body as UTF-8`,
  "encoding.unsupported": (err) => `${err.message}; use gzip, deflate, br or identity`,
  "entity.verify.failed": () => "the request body was refused",
  "request.aborted": () => "the request was aborted before its body was read",
  "request.size.invalid": () => "the request body does not match its Content-Length",
  "stream.encoding.set": () => "the request body could not be read",
  "stream.not.readable": () => "the request body could not be read",
  "parameters.too.many": () => "the request has too many parameters",
};

export function bodyErrorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const e = (err ?? {}) as { status?: unknown; statusCode?: unknown; type?: unknown; message?: unknown };
    const status = typeof e.status === "number" ? e.status : typeof e.statusCode === "number" ? e.statusCode : 500;
    const describe = typeof e.type === "string" ? BODY_ERRORS[e.type] : undefined;
    if (status >= 400 && status < 500) {
      // Undocumented client errors (e.g. a malformed gzip stream) say only what failed, never how.
      const message = describe
        ? describe(e as { message: string; limit?: number })
        : `the request could not be read (HTTP ${status})`;
      sendErrors(req, res, status, [{ message, extensions: { code: "BAD_REQUEST" } }]);
      return;
    }
    ((res.locals.log as Logger | undefined) ?? log).error({ err, requestId: res.locals.requestId }, "unexpected error");
    sendErrors(req, res, 500, [{ message: "Unexpected error.", extensions: { code: "INTERNAL_SERVER_ERROR" } }]);
  };
}
