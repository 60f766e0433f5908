/**
 * Helpers shared by this lib's specs (not part of the public API): a tiny test contract, an
 * implementation that counts its calls, sample batches, and servers that misbehave on purpose.
 */
import { FramewatchError, InputError } from '@framewatch/errors';
import type { DetectionBatch, FrameBatch } from '@framewatch/frame-codec';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { defineContract } from './contract';

/** The test contract: one method per wire codec, plus one that throws on demand. */
export interface Echo {
  describe(): Promise<{ n: number }>;
  /** Scores each frame with its mean luma / 255, so the answer proves the bytes arrived. */
  detect(batch: FrameBatch): Promise<DetectionBatch>;
  push(batch: DetectionBatch): Promise<void>;
  bump(x: number): Promise<number>;
  fail(kind: string): Promise<void>;
  sleep(ms: number): Promise<void>;
}

export const echoContract = defineContract<Echo>('echo', {
  describe: { idempotent: true, request: 'void', response: 'json' },
  detect: { idempotent: true, request: 'frame-batch', response: 'detection-batch' },
  push: { idempotent: true, request: 'detection-batch', response: 'void' },
  bump: { idempotent: false, request: 'json', response: 'json' },
  fail: { idempotent: true, request: 'json', response: 'void' },
  sleep: { idempotent: true, request: 'json', response: 'void', timeoutMs: 250 },
});

/** A FramewatchError subclass the client does not know: rebuilt as a plain FramewatchError. */
export class WeirdError extends FramewatchError {
  override readonly name = 'WeirdError';
}

export interface EchoImpl extends Echo {
  calls: Record<keyof Echo, number>;
  pushed: DetectionBatch[];
  received: FrameBatch[];
}

export function makeEcho(): EchoImpl {
  let n = 0;
  const calls: Record<keyof Echo, number> = { describe: 0, detect: 0, push: 0, bump: 0, fail: 0, sleep: 0 };
  const impl: EchoImpl = {
    calls,
    pushed: [],
    received: [],
    async describe() {
      calls.describe++;
      return { n };
    },
    async detect(batch) {
      calls.detect++;
      impl.received.push(batch);
      return {
        streamId: batch.streamId,
        seq: batch.seq,
        group: 'echo',
        detectors: ['luma'],
        final: batch.final,
        scores: batch.video.map((f) => ({
          target: 'video' as const,
          index: f.index,
          pts: f.pts,
          durationSec: 0.04,
          scores: { luma: f.planes[0].reduce((a, b) => a + b, 0) / f.planes[0].length / 255 },
          detail: { bytes: f.planes[0].length },
        })),
      };
    },
    async push(batch) {
      calls.push++;
      impl.pushed.push(batch);
    },
    async bump(x) {
      calls.bump++;
      n += x;
      return n;
    },
    async fail(kind) {
      calls.fail++;
      if (kind === 'input') throw new InputError('INPUT_TRUNCATED', 'clip.mp4 ends early', { detail: { atSec: 3.5 } });
      if (kind === 'weird') throw new WeirdError('CONFLICT', 'lost a race', { detail: { version: 7 } });
      if (kind === 'unavailable') throw new FramewatchError('UNAVAILABLE', 'storage down');
      throw new Error('boom at /srv/secret/path.ts');
    },
    async sleep(ms) {
      calls.sleep++;
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
  };
  return impl;
}

/** A gray FrameBatch with `frames` frames of `width`×`height`, each plane filled with `fill(i)`. */
export function grayBatch(frames: number, width = 64, height = 48, fill = (i: number) => 40 * (i + 1)): FrameBatch {
  return {
    streamId: 'an-test',
    seq: 3,
    startSec: 0.12,
    endSec: 0.12 + frames * 0.04,
    final: false,
    audio: [
      { pts: 0.12, index: 3, sampleRate: 8000, channels: 1, samples: Float32Array.from({ length: 320 }, (_, i) => Math.sin(i / 5) * 0.5) },
    ],
    video: Array.from({ length: frames }, (_, i) => ({
      pts: 0.12 + i * 0.04,
      index: i,
      width,
      height,
      format: 'gray' as const,
      planes: [new Uint8Array(width * height).fill(fill(i) & 0xff)],
    })),
  };
}

export function detectionBatch(): DetectionBatch {
  return {
    streamId: 'an-test',
    seq: 9,
    group: 'default',
    detectors: ['black', 'freeze'],
    final: true,
    scores: [
      { target: 'video', index: 0, pts: 0, durationSec: 0.04, scores: { black: 1, freeze: 0.25 }, detail: { 'black.ratio': 0.99 } },
      { target: 'audio', index: 0, pts: 0, durationSec: 0.02, scores: {} },
    ],
  };
}

/** A closable TCP server on loopback. */
export interface TestServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

async function listen(server: Server, sockets: Set<Socket>): Promise<TestServer> {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts connections and never answers. */
export function blackHole(): Promise<TestServer> {
  const sockets = new Set<Socket>();
  return listen(createServer(() => undefined), sockets);
}

/** What a {@link faultProxy} does to its n-th connection (0-based). */
export type Fault = 'pass' | 'reset-on-request' | 'drop-response';

/**
 * A TCP proxy in front of `targetPort`. `reset-on-request` resets the connection as soon as the
 * request starts (the callee never sees it); `drop-response` forwards the request and resets the
 * connection when the answer starts (the callee ran, the caller never hears: a lost ack).
 */
export async function faultProxy(targetPort: number, plan: (connection: number) => Fault): Promise<TestServer & { accepted(): number }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((client) => {
    const fault = plan(accepted++);
    client.on('error', () => undefined);
    if (fault === 'reset-on-request') {
      client.once('data', () => client.resetAndDestroy());
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    if (fault === 'drop-response') {
      upstream.once('data', () => {
        client.resetAndDestroy();
        upstream.destroy();
      });
    } else {
      upstream.pipe(client);
    }
  });
  const served = await listen(server, sockets);
  return { ...served, accepted: () => accepted };
}

/** An HTTP server that answers every request with `status` and a plain body, as a gateway would. */
export async function plainStatusServer(status: number): Promise<TestServer & { requests(): number }> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end('upstream unavailable');
    });
  });
  const served = await listen(server, sockets);
  return { ...served, requests: () => requests };
}
