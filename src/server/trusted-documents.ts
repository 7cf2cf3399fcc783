/**
 * Trusted documents: with `TRUSTED_DOCUMENTS=<manifest>` the server runs only the operations of that manifest
 * (`npm run codegen` writes it: `{ "sha256:<hash of the document>": "<document>" }`), on every transport. A client
 * names one by hash — `extensions.persistedQuery.sha256Hash` (Apollo's persisted-query link) or `documentId`
 * (GraphQL-over-HTTP persisted documents, optionally prefixed `sha256:`) — or sends a document whose hash is in
 * the manifest. Anything else is refused with PERSISTED_QUERY_NOT_FOUND, before parsing.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { RequestHandler } from "express";
import { GraphQLError } from "graphql";
import { PersistedQueryNotFoundError, toGraphQLError } from "../graphql/errors.js";
import { sendErrors } from "./error-response.js";

export class TrustedDocuments {
  private constructor(private readonly byHash: ReadonlyMap<string, string>) {}

  /**
   * Reads a manifest.
   * @throws Error naming the file and what is wrong with it (start-up reports it and stops).
   */
  static load(path: string): TrustedDocuments {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, "utf8"));
    } catch (err) {
      throw new Error(`TRUSTED_DOCUMENTS=${path}: cannot read the manifest: ${(err as Error).message.split("\n")[0]}`);
    }
    return TrustedDocuments.from(parsed, path);
  }

  /** @throws Error unless `manifest` maps sha256 hex hashes to documents. */
  static from(manifest: unknown, name = "manifest"): TrustedDocuments {
    if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest))
      throw new Error(`TRUSTED_DOCUMENTS=${name}: expected an object of hash: document`);
    const byHash = new Map<string, string>();
    for (const [key, document] of Object.entries(manifest)) {
      const hash = key.replace(/^sha256:/, "");
      if (!/^[0-9a-f]{64}$/.test(hash) || typeof document !== "string")
        throw new Error(
          `TRUSTED_DOCUMENTS=${name}: ${JSON.stringify(key).slice(0, 80)} is not a sha256 hash of a document`,
        );
      byHash.set(hash, document);
    }
    return new TrustedDocuments(byHash);
  }

  get size(): number {
    return this.byHash.size;
  }

  /**
   * The document text the request may run.
   * @throws PersistedQueryNotFoundError for an unknown hash, or a document not in the manifest.
   */
  resolve(request: { query?: unknown; documentId?: unknown; extensions?: unknown }): string {
    const hash = hashOf(request);
    if (hash !== undefined) {
      const document = this.byHash.get(hash);
      if (document === undefined)
        throw toGraphQLError(
          new PersistedQueryNotFoundError(
            `no trusted document has the hash ${JSON.stringify(hash.slice(0, 80))} (TRUSTED_DOCUMENTS)`,
          ),
        );
      return document;
    }
    if (typeof request.query === "string" && this.byHash.has(sha256(request.query))) return request.query;
    throw toGraphQLError(
      new PersistedQueryNotFoundError(
        "this server runs only trusted documents (TRUSTED_DOCUMENTS): send the hash of an operation from the " +
          "manifest as extensions.persistedQuery.sha256Hash or documentId",
      ),
    );
  }
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function hashOf(request: { documentId?: unknown; extensions?: unknown }): string | undefined {
  if (typeof request.documentId === "string") return request.documentId.replace(/^sha256:/, "");
  const persisted = (request.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  if (persisted && typeof persisted === "object")
    return typeof persisted.sha256Hash === "string" ? persisted.sha256Hash : "";
  return undefined;
}

/**
 * For Apollo over HTTP: puts the trusted document in each operation's `query` (POST bodies, single or batched,
 * and GET parameters) and drops the hash, or answers PERSISTED_QUERY_NOT_FOUND (HTTP 400) itself.
 */
export function trustedDocumentsMiddleware(documents: TrustedDocuments): RequestHandler {
  return (req, res, next) => {
    try {
      if (req.method === "GET") {
        const url = new URL(req.url, "http://localhost");
        const p = url.searchParams;
        let extensions: unknown;
        try {
          extensions = p.has("extensions") ? JSON.parse(p.get("extensions")!) : undefined;
        } catch {
          extensions = undefined;
        }
        const query = documents.resolve({
          query: p.get("query") ?? undefined,
          documentId: p.get("documentId") ?? undefined,
          extensions,
        });
        p.set("query", query);
        p.delete("documentId");
        p.delete("extensions");
        req.url = url.pathname + url.search;
      } else if (req.method === "POST" && req.body && typeof req.body === "object") {
        const operations: Record<string, unknown>[] = Array.isArray(req.body) ? req.body : [req.body];
        for (const op of operations) {
          if (!op || typeof op !== "object") continue;
          op.query = documents.resolve(op);
          delete op.documentId;
          if (op.extensions && typeof op.extensions === "object")
            delete (op.extensions as Record<string, unknown>).persistedQuery;
        }
      }
    } catch (err) {
      if (!(err instanceof GraphQLError)) throw err;
      sendErrors(req, res, 400, [{ message: err.message, extensions: { code: err.extensions.code } }]);
      return;
    }
    next();
  };
}
