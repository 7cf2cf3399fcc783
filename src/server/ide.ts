/**
 * The GraphQL IDE (ruru, a GraphiQL build) served entirely from this process: its scripts, styles, workers and
 * font come from the installed package under /ruru-static/, so it works with no internet access. A
 * Content-Security-Policy keeps it that way: the browser refuses anything from another origin.
 * It opens on a tour of the served model's API (ide-document.ts). Queries go over HTTP to the endpoint;
 * subscriptions over graphql-ws at ws(s)://<the page's host><endpoint>, with the headers of the IDE's headers
 * editor as connection_init payload.
 */
import { createHash } from "node:crypto";
import type { Express, Request, Response } from "express";
import { ruruHTML, type RuruConfig } from "ruru/server";
import { serveStatic } from "ruru/static";
import type { DomainModel } from "../domain/domain-model.js";
import { ideDocument } from "./ide-document.js";

export const IDE_STATIC_PATH = "/ruru-static/";

export interface IdeOptions {
  /** Headers the IDE's headers editor starts with (development), e.g. `{ authorization: "Bearer …" }`. */
  initialHeaders?: Record<string, string>;
}

/**
 * GraphiQL introspects on load, before its (lazily loaded) headers editor exists, so that request carries no
 * headers and is refused. This gives introspection requests the initial headers they lack.
 */
const INTROSPECT_WITH_INITIAL_HEADERS = `<script>
  {
    const initial = Object.entries(JSON.parse(RURU_CONFIG.initialHeaders));
    const endpoint = new URL(RURU_CONFIG.endpoint, location.href).href;
    const fetch = window.fetch;
    window.fetch = (input, init) => {
      if (typeof init?.body === "string" && init.body.includes('"operationName":"IntrospectionQuery"') &&
          new URL(input instanceof Request ? input.url : String(input), location.href).href === endpoint) {
        const headers = new Headers(init.headers);
        for (const [name, value] of initial) if (!headers.has(name)) headers.set(name, value);
        init = { ...init, headers };
      }
      return fetch(input, init);
    };
  }
</script>`;

export function wantsHtml(req: Request): boolean {
  return req.method === "GET" && (req.headers.accept ?? "").includes("text/html");
}

/**
 * Whether a request comes from this machine to a loopback name: only then may the page carry the development
 * headers (the demo ADMIN token). Both must hold: a remote client can send `Host: localhost`, and a DNS-rebound
 * page reaches a loopback socket under a foreign Host.
 */
export function isLoopbackRequest(req: Request): boolean {
  const remote = req.socket.remoteAddress ?? "";
  const fromLoopback = remote === "::1" || /^(::ffff:)?127\./.test(remote);
  let hostname = "";
  try {
    hostname = new URL(`http://${req.headers.host ?? ""}`).hostname;
  } catch {
    return false;
  }
  const toLoopback = hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
  return fromLoopback && toLoopback;
}

function idePage(graphqlPath: string, document: string, initialHeaders: Record<string, string> | undefined) {
  const headers = initialHeaders && JSON.stringify(initialHeaders, null, 2);
  const html = ruruHTML({
    endpoint: graphqlPath,
    // A path: ruru turns it into ws(s)://<the page's host><path>, where graphql-ws listens.
    subscriptionEndpoint: graphqlPath,
    staticPath: IDE_STATIC_PATH,
    // (Cast: ruru's RuruClientConfig picks from GraphiQL's props, whose types ruru does not ship.)
    clientConfig: {
      defaultQuery: document,
      ...(headers ? { initialHeaders: headers, defaultHeaders: headers } : {}),
    } as RuruConfig["clientConfig"],
    htmlParts: headers ? { headerScripts: (original) => original + INTROSPECT_WITH_INITIAL_HEADERS } : {},
  });
  // The page's inline scripts are allowed by hash; everything else must come from this origin.
  const scriptHashes = [...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)]
    .map((m) => `'sha256-${createHash("sha256").update(m[1]!).digest("base64")}'`)
    .join(" ");
  const csp =
    `default-src 'self'; script-src 'self' ${scriptHashes}; style-src 'self' 'unsafe-inline'; ` +
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  return { html, csp };
}

/** Serves the IDE at `graphqlPath` (for `text/html` GETs) and `/`, opening on a tour of `model`'s API. */
export function mountIde(app: Express, graphqlPath: string, model: DomainModel, options: IdeOptions = {}) {
  const document = ideDocument(model);
  const plain = idePage(graphqlPath, document, undefined);
  const withHeaders = options.initialHeaders ? idePage(graphqlPath, document, options.initialHeaders) : plain;
  // serveStatic strips the prefix itself, so it must see the full URL: not mounted under a path.
  app.use(serveStatic(IDE_STATIC_PATH) as never);
  const page = (req: Request, res: Response) => {
    const { html, csp } = isLoopbackRequest(req) ? withHeaders : plain;
    void res.set({ "content-security-policy": csp, "cache-control": "no-store" }).type("html").send(html);
  };
  app.get("/", page);
  app.get(graphqlPath, (req, res, next) => (wantsHtml(req) ? page(req, res) : next()));
}
