/**
 * DynamoDB API on loopback for tests and local runs: dynalite (LevelDB, pure Node).
 * TOOLCHAIN.md: no transactions, and `ReturnValuesOnConditionCheckFailure` is ignored.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

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
  /** Stops listening, drops open connections and closes the store. */
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
