import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { childEnvironment } from '@framewatch/config';
import { FramewatchError } from '@framewatch/errors';
import type { Logger } from '@framewatch/observability';

/** One process of a topology. */
export interface ProcessSpec {
  /** Name shown in logs, e.g. `detector-video`. */
  name: string;
  /** The app bundle to run: `dist/apps/<app>/main.js`. */
  app: string;
  /** `FRAMEWATCH_*` settings of this process (secrets included; never logged). */
  env: Record<string, string>;
  /** Port it listens on; its `/healthz` is polled until it answers. */
  port: number;
  /** Node.js options placed before the bundle (V8 heap settings). */
  nodeArgs?: string[];
}

/** A running topology. */
export interface Supervised {
  children: ReadonlyMap<string, ChildProcess>;
  /** Stops every child (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
  /** Resolves with the first child that exits on its own. */
  exited: Promise<{ name: string; code: number | null; signal: NodeJS.Signals | null }>;
}

/** A free TCP port on loopback, found by binding port 0. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200, or throws after `timeoutMs`. */
export async function waitHealthy(url: string, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline && alive()) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new FramewatchError('UNAVAILABLE', `${url} did not become healthy (${last})`);
}

/**
 * Starts processes in waves: every process of a wave starts at once and must answer `/healthz`
 * before the next wave starts (components before the processes that call them). Each child's
 * output goes to this process's stderr, prefixed with its name.
 *
 * @example
 * const topology = await supervise([[detector, aggregator], [converter, api]], { appsDir, logger });
 */
export async function supervise(
  waves: ProcessSpec[][],
  options: { appsDir: string; logger: Logger; healthTimeoutMs?: number },
): Promise<Supervised> {
  const children = new Map<string, ChildProcess>();
  let settle: (v: { name: string; code: number | null; signal: NodeJS.Signals | null }) => void = () => undefined;
  const exited = new Promise<{ name: string; code: number | null; signal: NodeJS.Signals | null }>((r) => (settle = r));
  let stopping = false;

  const stop = async (): Promise<void> => {
    stopping = true;
    await Promise.all(
      [...children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  };

  try {
    for (const wave of waves) {
      for (const spec of wave) {
        const child = spawn(process.execPath, [...(spec.nodeArgs ?? []), path.join(options.appsDir, spec.app, 'main.js')], {
          env: childEnvironment(spec.env),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        children.set(spec.name, child);
        const prefix = (chunk: Buffer): void => {
          for (const line of chunk.toString().split('\n')) if (line) process.stderr.write(`[${spec.name}] ${line}\n`);
        };
        child.stdout?.on('data', prefix);
        child.stderr?.on('data', prefix);
        child.once('exit', (code, signal) => {
          if (!stopping) settle({ name: spec.name, code, signal });
        });
      }
      await Promise.all(
        wave.map((spec) =>
          waitHealthy(`http://127.0.0.1:${spec.port}/healthz`, options.healthTimeoutMs ?? 15_000, () => {
            const c = children.get(spec.name);
            return !!c && c.exitCode === null && c.signalCode === null;
          }).catch((err: unknown) => {
            throw new FramewatchError('UNAVAILABLE', `${spec.name} did not start: ${err instanceof Error ? err.message : String(err)}`);
          }),
        ),
      );
      options.logger.info({ started: wave.map((s) => s.name) }, 'processes healthy');
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { children, stop, exited };
}
