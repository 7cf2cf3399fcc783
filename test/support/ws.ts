/** A real graphql-ws client over a real WebSocket, as a browser or IDE would connect. */
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

export function wsUrl(httpUrl: string) {
  return httpUrl.replace(/^http/, "ws");
}

export function wsClient(
  httpUrl: string,
  authorization?: string,
): { client: Client; closed: Promise<{ code: number; reason: string }> } {
  let resolveClosed!: (v: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => (resolveClosed = r));
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: authorization ? { authorization } : {},
    on: {
      closed: (event) => {
        const e = event as { code: number; reason: string };
        resolveClosed({ code: e.code, reason: String(e.reason) });
      },
    },
    onNonLazyError: () => {},
  });
  return { client, closed };
}

/** Runs one query or mutation over the socket and returns its single result. */
export function wsExec(client: Client, query: string, variables?: Record<string, unknown>): Promise<any> {
  return new Promise((resolve, reject) => {
    let result: unknown;
    client.subscribe(
      { query, ...(variables ? { variables } : {}) },
      { next: (v) => (result = v), error: (e) => reject(e), complete: () => resolve(result) },
    );
  });
}
