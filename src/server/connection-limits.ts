/**
 * How long and how many connections a client may hold: without these a client that never finishes its headers
 * (slowloris), never sends a request, or opens socket after socket holds memory and file descriptors for as long
 * as it likes (Node's defaults let idle sockets live about 90 s). Each limit is a setting (HTTP_*, WS_*).
 */
import type { ServerOptions } from "node:http";
import { defaultOf } from "../config/settings.js";

export interface ConnectionLimits {
  /** Longest wait for a request's headers. @default `defaultOf("HTTP_HEADERS_TIMEOUT_MS")` */
  headersTimeoutMs: number;
  /** Longest wait for a whole request. @default `defaultOf("HTTP_REQUEST_TIMEOUT_MS")` */
  requestTimeoutMs: number;
  /** Idle time allowed between requests on a kept-alive connection. @default `defaultOf("HTTP_KEEP_ALIVE_TIMEOUT_MS")` */
  keepAliveTimeoutMs: number;
  /** WebSockets one client address may hold open. @default `defaultOf("WS_MAX_SOCKETS_PER_ADDRESS")` */
  maxSocketsPerAddress: number;
  /** Time a WebSocket gets to send `connection_init`. @default `defaultOf("WS_CONNECTION_INIT_TIMEOUT_MS")` */
  connectionInitTimeoutMs: number;
  /** Subscriptions one WebSocket may run. @default `defaultOf("WS_MAX_SUBSCRIPTIONS_PER_CONNECTION")` */
  maxSubscriptionsPerConnection: number;
  /** Subscriptions one subject may run, every transport together. @default `defaultOf("MAX_SUBSCRIPTIONS_PER_SUBJECT")` */
  maxSubscriptionsPerSubject: number;
}

export function connectionLimits(given: Partial<ConnectionLimits> = {}): ConnectionLimits {
  return {
    headersTimeoutMs: defaultOf("HTTP_HEADERS_TIMEOUT_MS"),
    requestTimeoutMs: defaultOf("HTTP_REQUEST_TIMEOUT_MS"),
    keepAliveTimeoutMs: defaultOf("HTTP_KEEP_ALIVE_TIMEOUT_MS"),
    maxSocketsPerAddress: defaultOf("WS_MAX_SOCKETS_PER_ADDRESS"),
    connectionInitTimeoutMs: defaultOf("WS_CONNECTION_INIT_TIMEOUT_MS"),
    maxSubscriptionsPerConnection: defaultOf("WS_MAX_SUBSCRIPTIONS_PER_CONNECTION"),
    maxSubscriptionsPerSubject: defaultOf("MAX_SUBSCRIPTIONS_PER_SUBJECT"),
    ...given,
  };
}

/** node:http options enforcing the HTTP limits. */
export function httpServerOptions(limits: ConnectionLimits): ServerOptions {
  const headersTimeout = limits.headersTimeoutMs;
  return {
    headersTimeout,
    // Node refuses a request timeout below the headers timeout.
    requestTimeout: Math.max(limits.requestTimeoutMs, headersTimeout),
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts above on this interval (30 s by default, which is what let sockets outlive them).
    connectionsCheckingInterval: Math.min(1000, headersTimeout),
  };
}
