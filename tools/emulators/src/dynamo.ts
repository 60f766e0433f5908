/**
 * DynamoDB API on loopback for tests and local runs: dynalite (LevelDB, pure Node).
 * TOOLCHAIN.md: no transactions, and `ReturnValuesOnConditionCheckFailure` is ignored.
 */
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Options of {@link startDynalite}. */
export interface DynaliteOptions {
  /** Port on 127.0.0.1; 0 (any free port) by default. */
  port?: number;
  /** LevelDB directory; in-memory when absent. */
  dir?: string;
}

/** A running dynalite. */
export interface RunningDynalite {
  /** `http://127.0.0.1:<port>`, for the client's `endpoint`. */
  endpoint: string;
  port: number;
  /**
   * Stops listening, answers new requests with 503, lets the requests already in dynalite finish
   * (at most 5 s), then drops open connections and closes the store.
   */
  stop(): Promise<void>;
}

type DynaliteFactory = (options: Record<string, unknown>) => Server;

/**
 * Starts dynalite on 127.0.0.1 with table state changes taking no time (`createTableMs: 0`,
 * `deleteTableMs: 0`, `updateTableMs: 0`), so a table is ACTIVE as soon as it is created.
 *
 * @example
 * const dynamo = await startDynalite();
 * const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local',
 *   credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
 * // …
 * await dynamo.stop();
 */
export async function startDynalite(options: DynaliteOptions = {}): Promise<RunningDynalite> {
  // dynalite ships no types; it is CommonJS with `module.exports = dynalite`.
  const dynalite = require('dynalite') as DynaliteFactory;
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dir ? { path: options.dir } : {}),
  });
  const gate = gateRequests(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: async () => {
      // dynalite 4 throws, uncaught, when a request it already read reaches a closed store (a
      // query from a client still polling), so the store closes only once no handler is running.
      await gate.drain(5_000);
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((err) => (err ? reject(err) : resolve()));
      });
    },
  };
}

/**
 * Puts a gate in front of dynalite's request handler: it counts the requests being handled (a
 * request is done when its response ends, or when its client goes away before sending all of
 * it), and once `drain` is called it answers every new request with 503 and waits for the count
 * to reach zero.
 */
function gateRequests(server: Server): { drain(timeoutMs: number): Promise<void> } {
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  let closing = false;
  let running = 0;
  let idle: (() => void) | null = null;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (closing) {
      res.writeHead(503, { connection: 'close' }).end();
      return;
    }
    running++;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      if (--running === 0) idle?.();
    };
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      finish();
      return end(...args);
    }) as ServerResponse['end'];
    req.once('close', () => {
      if (!req.complete) finish();
    });
    for (const handler of handlers) handler(req, res);
  });
  return {
    drain: (timeoutMs) => {
      closing = true;
      if (running === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}
