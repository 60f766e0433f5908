/**
 * Timeouts of the `http.Server` the API listens on (RELIABILITY H4). They belong to the server,
 * not to Express, so the app's wiring applies them with these helpers.
 */
import type { Server, ServerOptions } from 'node:http';

/** Server-level limits, a subset of the API's `limits`. */
export interface ServerLimits {
  /** Time a client has to send the complete request headers. */
  headersTimeoutMs: number;
  /** Time a client has to send the complete request (headers and body, e.g. an upload). */
  requestTimeoutMs: number;
  /** Idle time before a kept-alive connection is closed; 5000 by default. */
  keepAliveTimeoutMs?: number;
}

const DEFAULT_KEEP_ALIVE_MS = 5000;

/**
 * Options for `http.createServer(options, app)`. Unlike {@link configureServer} these also set
 * how often Node checks for expired headers/request timeouts (30 s by default, far too coarse
 * for a short `headersTimeoutMs`), which can only be chosen when the server is created.
 */
export function httpServerOptions(limits: ServerLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_MS,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/**
 * Applies the header, request and keep-alive timeouts to an existing server. Node requires the
 * headers timeout not to exceed a non-zero request timeout; a misconfiguration throws here at
 * start-up instead of failing later.
 *
 * @example
 * const server = http.createServer(httpServerOptions(limits), app);
 * configureServer(server, limits);
 * server.listen(port);
 */
export function configureServer(server: Server, limits: ServerLimits): Server {
  if (!(limits.headersTimeoutMs > 0) || !(limits.requestTimeoutMs > 0)) {
    throw new RangeError('headersTimeoutMs and requestTimeoutMs must be positive');
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new RangeError('headersTimeoutMs must not exceed requestTimeoutMs');
  }
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_MS;
  return server;
}
