/**
 * GET /metrics on a port of its own (METRICS_PORT), so that scrapes stay off the API's listener and the API's
 * port can be public while this one is not. Everything else on it is 404.
 */
import { createServer } from "node:http";
import express from "express";
import { METRICS_PATH, type Metrics } from "./metrics.js";

export async function listenMetrics(
  metrics: Metrics,
  port: number,
  host: string,
  token?: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.disable("x-powered-by");
  app.get(METRICS_PATH, metrics.handler(token));
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const bound = typeof addr === "object" && addr ? addr.port : port;
  return {
    url: `http://${host === "0.0.0.0" || host === "::" ? "localhost" : host}:${bound}${METRICS_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
