/**
 * Errors that mean the database connection went away (not that the statement was wrong): the work may be
 * resumed on a new connection. SQLSTATE class 08 (connection exception), 57P01-57P03 (terminated by an
 * administrator, crash shutdown, cannot connect now), and the driver's own socket errors.
 */
export function isConnectionLoss(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === "object"; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") {
      if (/^08/.test(code) || code === "57P01" || code === "57P02" || code === "57P03") return true;
      if (["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTCONN"].includes(code)) return true;
    }
    const message = (e as { message?: unknown }).message;
    if (
      typeof message === "string" &&
      /Connection terminated|Client has encountered a connection error|Client was closed|timeout exceeded when trying to connect/i.test(
        message,
      )
    )
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
