/** A real graphql-sse client (Server-Sent Events over fetch), as a browser behind a WebSocket-blocking proxy would use. */
import { createClient, type Client } from "graphql-sse";

export function sseUrl(httpUrl: string) {
  return `${httpUrl}/stream`;
}

export function sseClient(httpUrl: string, authorization?: string, singleConnection = false): Client {
  return createClient({
    url: sseUrl(httpUrl),
    singleConnection,
    retryAttempts: 0,
    headers: authorization ? { authorization } : {},
  });
}

/** Every result of one operation until it completes; a transport-level failure rejects. */
export function sseResults(client: Client, query: string, variables?: Record<string, unknown>): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const results: unknown[] = [];
    client.subscribe(
      { query, ...(variables ? { variables } : {}) },
      { next: (v) => void results.push(v), error: reject, complete: () => resolve(results) },
    );
  });
}
