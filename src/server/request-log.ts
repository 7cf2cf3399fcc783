/**
 * One structured log line per HTTP request, written when the response is finished (or the client went away):
 * request id, method, path, status, duration, and for GraphQL the operation name and type, the caller's
 * organization and role, a keyed hash of its subject, and the error codes sent. Operations over WebSocket and SSE
 * get the same line ("operation", with their transport and the number of results sent) when they end
 * (stream-operations.ts).
 *
 * Invariant: no secrets and no personal data. Headers, variables, query text and response bodies are never
 * logged; the token subject (often an email) appears only as an HMAC under the server's secret, so lines of one
 * caller can be correlated without naming them. GraphQL requests log at `info` (`error` for a 5xx); probes,
 * metrics scrapes and static files at `debug`.
 */
import { createHmac } from "node:crypto";
import type { ApolloServerPlugin } from "@apollo/server";
import type { RequestHandler, Response } from "express";
import type { Logger } from "pino";
import type { Context, Viewer } from "../graphql/context.js";
import { codeOf } from "./metrics.js";

/** What the GraphQL layer learns about a request, for its log line. */
interface GraphqlFacts {
  operationName?: string | null;
  operationType?: string;
  subject?: string;
  role?: string;
  organization?: string;
  errorCodes: string[];
}

const FACTS = "graphqlFacts";

export class RequestLog {
  /**
   * Keyed by the context's logger, an object made per request: Apollo hands plugins a shallow copy of the context,
   * never the object itself (and a tokenless context has no viewer to key by).
   */
  private readonly byRequest = new WeakMap<object, GraphqlFacts>();

  constructor(
    private readonly log: Logger,
    private readonly options: {
      /** Key of the subject hash (the server's token secret: stable for as long as tokens are). */
      secret: string;
      /** Paths logged at `info`; others at `debug`. */
      infoPaths: string[];
    },
  ) {}

  /** A keyed, truncated hash of a token subject: the same caller gives the same value, which names nobody. */
  subjectHash(subject: string): string {
    return createHmac("sha256", this.options.secret).update(`log-subject:${subject}`).digest("hex").slice(0, 16);
  }

  /** Express middleware writing the line when the response ends. Mount it after the request id is set. */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const started = performance.now();
      // Read now: a mounted router rewrites req.url while it handles the request.
      const path = req.path;
      let written = false;
      const write = () => {
        if (written) return;
        written = true;
        const facts = res.locals[FACTS] as GraphqlFacts | undefined;
        const status = res.headersSent ? res.statusCode : 499;
        const line = {
          requestId: res.locals.requestId as string | undefined,
          method: req.method,
          path,
          status,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
          ...(facts && {
            operationName: facts.operationName ?? null,
            operationType: facts.operationType ?? null,
            organization: facts.organization ?? null,
            role: facts.role ?? null,
            subject: facts.subject ?? null,
            errorCodes: [...new Set(facts.errorCodes)],
          }),
        };
        if (status >= 500) this.log.error(line, "request");
        else if (this.options.infoPaths.includes(path)) this.log.info(line, "request");
        else this.log.debug(line, "request");
      };
      res.once("finish", write);
      res.once("close", write);
      next();
    };
  }

  /**
   * Builds the GraphQL context of an HTTP request through `make`, remembering the caller for the log line; an
   * authentication failure is recorded with its code before it propagates.
   */
  async track(res: Response, make: () => Promise<Context>): Promise<Context> {
    const facts: GraphqlFacts = { errorCodes: [] };
    res.locals[FACTS] = facts;
    try {
      const ctx = await make();
      if (!ctx.anonymous) {
        facts.subject = this.subjectHash(ctx.viewer.subject);
        facts.role = ctx.viewer.role;
        facts.organization = ctx.viewer.organizationSlug;
      }
      this.byRequest.set(ctx.log, facts);
      return ctx;
    } catch (err) {
      facts.errorCodes.push(codeOf(err as { extensions?: Record<string, unknown> }));
      throw err;
    }
  }

  /** The line of an operation over a streaming transport, written when it ends. */
  streamOperation(op: {
    transport: string;
    requestId: string;
    viewer: Viewer | undefined;
    operationName: string | null;
    operationType: string | null;
    durationMs: number;
    /** Results sent (a subscription's events; 1 for a query or mutation). */
    events: number;
    errorCodes: readonly string[];
  }): void {
    const line = {
      requestId: op.requestId,
      transport: op.transport,
      operationName: op.operationName ? op.operationName.slice(0, 100) : null,
      operationType: op.operationType,
      organization: op.viewer?.organizationSlug ?? null,
      role: op.viewer?.role ?? null,
      subject: op.viewer ? this.subjectHash(op.viewer.subject) : null,
      durationMs: Math.round(op.durationMs * 10) / 10,
      events: op.events,
      errorCodes: [...new Set(op.errorCodes)],
    };
    if (op.errorCodes.includes("INTERNAL_SERVER_ERROR")) this.log.error(line, "operation");
    else this.log.info(line, "operation");
  }

  /** Records the operation and the error codes sent, for requests whose context went through `track`. */
  apolloPlugin(): ApolloServerPlugin<Context> {
    const byRequest = this.byRequest;
    return {
      async requestDidStart({ contextValue }) {
        const facts = contextValue?.log && byRequest.get(contextValue.log);
        if (!facts) return {};
        return {
          async didResolveOperation({ operation, operationName }) {
            facts.operationName = operationName ? operationName.slice(0, 100) : null;
            facts.operationType = operation?.operation;
          },
          async willSendResponse({ response, errors }) {
            const sent = response.body.kind === "single" ? (response.body.singleResult.errors ?? []) : (errors ?? []);
            facts.errorCodes.push(...sent.map((e) => codeOf(e)));
          },
        };
      },
    };
  }
}
