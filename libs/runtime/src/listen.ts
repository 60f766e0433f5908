import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@framewatch/observability';

/** Something an HTTP server can serve: an Express app or a plain request listener. */
export type RequestHandler = Parameters<typeof import('node:http').createServer>[1];

/** A listening server and how to stop it. */
export interface Listening {
  server: Server;
  /** `http://host:port`, with the port actually bound (useful with port 0). */
  url: string;
  /** Stops accepting connections, lets requests in flight finish, then closes idle sockets. */
  close(): Promise<void>;
}

/**
 * Listens on `host:port` with timeouts against slow clients (headers 10 s, request 5 min for
 * uploads, keep-alive 65 s so load balancers with 60 s idle timeouts close first).
 *
 * @example
 * const { url, close } = await listen(app, { host: config.host, port: config.port }, log);
 */
export async function listen(handler: RequestHandler, at: { host: string; port: number }, logger: Logger): Promise<Listening> {
  const { createServer } = await import('node:http');
  const server = createServer(handler);
  server.headersTimeout = 10_000;
  server.requestTimeout = 300_000;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url }, 'listening');
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/**
 * Runs `shutdown` once on SIGINT/SIGTERM, then exits; a second signal exits at once.
 */
export function onShutdown(shutdown: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    shutdown()
      .catch((err: unknown) => logger.error({ err }, 'shutdown failed'))
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
