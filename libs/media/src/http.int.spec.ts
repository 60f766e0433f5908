import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { FramewatchError } from '@framewatch/errors';
import type { DecodeSpec } from '@framewatch/pipeline';
import { createMediaConverter } from './converter';
import type { MediaConverterOptions } from './converter';
import { FFMPEG, FFPROBE, makeClip, tempDir } from './testing/fixtures';
import type { TempDir } from './testing/fixtures';

let tmp: TempDir;
const spec: DecodeSpec = { video: { width: 80, height: 45 }, audio: { sampleRate: 48000, channels: 1 }, framesPerBatch: 25 };

/** A static file server with Range support (as real CDNs have) plus misbehaving routes. */
interface TestServer {
  url: string;
  hits: string[];
  close(): Promise<void>;
}

function serveFile(req: IncomingMessage, res: ServerResponse, file: string, stallAfter?: number): void {
  const body = readFileSync(file);
  const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
  const start = range ? Number(range[1]) : 0;
  const end = range && range[2] ? Number(range[2]) : body.length - 1;
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', 'video/mp4');
  res.setHeader('Content-Length', end - start + 1);
  if (range) {
    res.statusCode = 206;
    res.setHeader('Content-Range', `bytes ${start}-${end}/${body.length}`);
  }
  const slice = body.subarray(start, end + 1);
  if (stallAfter === undefined || start + slice.length <= stallAfter) {
    res.end(slice);
    return;
  }
  // Send up to the stall point at full speed, then one byte every 200 ms: never idle long enough
  // for ffmpeg's -rw_timeout, far too slow to produce a frame.
  const fast = Math.max(0, stallAfter - start);
  res.write(slice.subarray(0, fast));
  let at = fast;
  const timer = setInterval(() => {
    if (at >= slice.length || res.destroyed) return clearInterval(timer);
    res.write(slice.subarray(at, at + 1));
    at += 1;
  }, 200);
  res.on('close', () => clearInterval(timer));
}

async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void, tls?: { key: Buffer; cert: Buffer }): Promise<TestServer> {
  const hits: string[] = [];
  const sockets = new Set<Socket>();
  const wrapped = (req: IncomingMessage, res: ServerResponse) => {
    hits.push(req.url ?? '');
    handler(req, res);
  };
  const server: Server = tls ? createHttpsServer(tls, wrapped) : createHttpServer(wrapped);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    hits,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function converterWith(options: MediaConverterOptions = {}) {
  return createMediaConverter({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE, allowPrivateSources: true, ...options });
}

async function decodeAll(url: string, options: MediaConverterOptions = {}): Promise<number> {
  let frames = 0;
  for await (const b of converterWith(options).decode({ url }, spec, { streamId: 'http' })) frames += b.video.length;
  return frames;
}

async function failure(run: () => Promise<unknown>): Promise<{ err: FramewatchError; ms: number }> {
  const started = Date.now();
  try {
    await run();
  } catch (err) {
    return { err: err as FramewatchError, ms: Date.now() - started };
  }
  throw new Error('succeeded');
}

let server: TestServer;
let internal: TestServer;

beforeAll(async () => {
  tmp = tempDir('http');
  makeClip(tmp.file('clip.mp4'), {
    durationSec: 2,
    video: { width: 160, height: 90, rate: '25' },
    audio: { sampleRate: 48000, channels: 1 },
  });
  makeClip(tmp.file('long.mp4'), {
    durationSec: 12,
    video: { width: 160, height: 90, rate: '25' },
    audio: { sampleRate: 48000, channels: 1 },
    faststart: true,
  });
  internal = await startServer((_req, res) => res.end('secret'));
  writeFileSync(tmp.file('playlist.m3u8'), `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n${internal.url}/segment.ts\n#EXT-X-ENDLIST\n`);
  const longSize = readFileSync(tmp.file('long.mp4')).length;
  server = await startServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/clip.mp4') return serveFile(req, res, tmp.file('clip.mp4'));
    if (url === '/trickle.mp4') return serveFile(req, res, tmp.file('long.mp4'), Math.floor(longSize * 0.7));
    if (url === '/trickle-from-start.mp4') return serveFile(req, res, tmp.file('long.mp4'), 0);
    if (url === '/playlist.m3u8') return res.end(readFileSync(tmp.file('playlist.m3u8')));
    if (url === '/hang.mp4') return; // accept, read the request, never answer
    res.statusCode = 404;
    res.end('not found');
  });
});

afterAll(async () => {
  await server.close();
  await internal.close();
  tmp.cleanup();
});

describe('http sources', () => {
  it('decodes an mp4 served over http on loopback when private sources are allowed', async () => {
    expect(await decodeAll(`${server.url}/clip.mp4`)).toBe(50);
    expect(server.hits).toContain('/clip.mp4');
  });

  it('refuses the same URL when private sources are not allowed, without a request', async () => {
    const before = server.hits.length;
    const { err } = await failure(() => decodeAll(`${server.url}/clip.mp4`, { allowPrivateSources: false }));
    expect(err.code).toBe('SOURCE_REJECTED');
    expect(server.hits).toHaveLength(before);
  });

  it('reports an http 404 as INPUT_NOT_FOUND', async () => {
    const { err } = await failure(() => converterWith().probe({ url: `${server.url}/nothing.mp4` }));
    expect(err.code).toBe('INPUT_NOT_FOUND');
    expect(err.message).toMatch(/not found \(HTTP 404\)/);
  });

  it('reads an HLS playlist itself and refuses the internal segment it lists, never fetching it (S2)', async () => {
    // Framewatch, not ffmpeg, fetches playlists (ffmpeg's hls demuxer stays off the whitelist).
    const { err } = await failure(() => decodeAll(`${server.url}/playlist.m3u8`));
    expect(err.code).toBe('SOURCE_REJECTED');
    expect(server.hits).toContain('/playlist.m3u8');
    expect(internal.hits).toEqual([]);
  });
});

describe('stalled sources (S6)', () => {
  it('fails an upstream that accepts and never answers with SOURCE_TIMEOUT within the I/O timeout', async () => {
    const { err, ms } = await failure(() => decodeAll(`${server.url}/hang.mp4`, { ioTimeoutSec: 1 }));
    expect(err.code).toBe('SOURCE_TIMEOUT');
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(1000 + 2000);
  });

  it('fails a source that trickles mid-file with SOURCE_TIMEOUT from the output watchdog', async () => {
    const { err, ms } = await failure(() => decodeAll(`${server.url}/trickle.mp4`, { ioTimeoutSec: 1 }));
    expect(err.code).toBe('SOURCE_TIMEOUT');
    expect(err.message).toMatch(/produced no data for 1 s/);
    expect(ms).toBeLessThan(5000);
  });

  it('fails a probe that trickles from the first byte at the probe deadline', async () => {
    const { err, ms } = await failure(() =>
      converterWith({ ioTimeoutSec: 1, probeTimeoutSec: 1 }).probe({ url: `${server.url}/trickle-from-start.mp4` }),
    );
    expect(err.code).toBe('SOURCE_TIMEOUT');
    expect(err.message).toMatch(/probing .* took longer than 1 s/);
    expect(ms).toBeLessThan(1000 + 2000);
  });
});

describe('https sources', () => {
  let secure: TestServer;
  let caFile: string;
  beforeAll(async () => {
    const key = tmp.file('key.pem');
    caFile = tmp.file('cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', caFile, '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'pipe' });
    secure = await startServer((req, res) => serveFile(req, res, tmp.file('clip.mp4')), {
      key: readFileSync(key),
      cert: readFileSync(caFile),
    });
  });
  afterAll(() => secure.close());

  it('decodes over https with the whitelist https,tls,tcp when the certificate verifies', async () => {
    expect(await decodeAll(`${secure.url}/clip.mp4`, { tlsCaFile: caFile })).toBe(50);
  });

  it('refuses a certificate it cannot verify', async () => {
    const { err } = await failure(() => decodeAll(`${secure.url}/clip.mp4`));
    expect(err.code).toBe('INPUT_NOT_FOUND');
    expect(err.message).toMatch(/TLS certificate failed verification/);
  });
});
