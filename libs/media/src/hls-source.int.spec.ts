import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CancelledError } from '@framewatch/errors';
import { failureOf } from '@framewatch/errors/testing';
import type { DecodeSpec, SourceEvent } from '@framewatch/pipeline';
import { createMediaConverter } from './converter';
import { FFMPEG, FFPROBE, childPids, ffmpeg, processExists, tempDir, waitFor } from './testing/fixtures';
import type { TempDir } from './testing/fixtures';

/**
 * HLS through the converter: Framewatch reads the playlist and segments itself and pipes them to
 * ffmpeg, so every URL passes the input rules (RELIABILITY S2, S3) — against real loopback servers.
 */
let tmp: TempDir;
let vodDir: string;
const spec: DecodeSpec = { video: { width: 80, height: 45 }, audio: { sampleRate: 48000, channels: 1 }, framesPerBatch: 25 };

interface Site {
  url: string;
  hits: string[];
  close(): Promise<void>;
}

/** A loopback server: files of `dir` by name, plus `routes` (path → handler result). */
async function site(dir: string | null, routes: Record<string, (url: string) => { status: number; headers?: Record<string, string>; body?: string | Buffer }> = {}): Promise<Site> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    hits.push(url);
    const route = routes[url.split('?')[0] ?? url];
    if (route) {
      const r = route(url);
      res.writeHead(r.status, r.headers);
      res.end(r.body);
      return;
    }
    const file = dir === null ? null : path.join(dir, path.basename(url.split('?')[0] ?? ''));
    if (file === null || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': file.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const converter = createMediaConverter({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE, allowPrivateSources: true, ioTimeoutSec: 5 });

/** A converter whose resolver (the one the input rules use) knows `host` as 127.0.0.1; DNS does not. */
function converterResolving(host: string) {
  return createMediaConverter({
    ffmpegPath: FFMPEG,
    ffprobePath: FFPROBE,
    allowPrivateSources: true,
    ioTimeoutSec: 5,
    lookup: async (name) => [{ address: name === host ? '127.0.0.1' : name, family: 4 }],
  });
}

async function decodeAll(url: string, onSourceEvent?: (e: SourceEvent) => void): Promise<{ frames: number; chunks: number }> {
  let frames = 0;
  let chunks = 0;
  for await (const batch of converter.decode({ url }, spec, { streamId: 's', onSourceEvent })) {
    frames += batch.video.length;
    chunks += batch.audio.length;
  }
  return { frames, chunks };
}


beforeAll(() => {
  tmp = tempDir('hls');
  vodDir = tmp.file('vod');
  mkdirSync(vodDir);
  // 8 s of video and audio in 1 s MPEG-TS segments, with #EXT-X-ENDLIST.
  ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=25', '-f', 'lavfi', '-i', 'sine=f=440:r=48000',
    '-t', '8', '-c:v', 'libx264', '-preset', 'veryfast', '-threads', '1', '-g', '25', '-c:a', 'aac',
    '-f', 'hls', '-hls_time', '1', '-hls_list_size', '0', '-hls_playlist_type', 'vod',
    '-hls_segment_filename', path.join(vodDir, 'seg%03d.ts'), path.join(vodDir, 'vod.m3u8'),
  ]);
});
afterAll(() => tmp.cleanup());

afterEach(async () => {
  expect(await waitFor(() => childPids('ffmpeg').length === 0 && childPids('ffprobe').length === 0, 3000)).toBe(true);
});

describe('HLS sources', () => {
  it('decodes a VOD playlist fetched by Framewatch, segment by segment, into the whole timeline', async () => {
    const server = await site(vodDir);
    try {
      const events: SourceEvent[] = [];
      const media = await converter.probe({ url: `${server.url}/vod.m3u8` });
      expect(media).toMatchObject({ formatName: 'hls', durationSec: null, video: { width: 160, height: 90 } });
      const { frames, chunks } = await decodeAll(`${server.url}/vod.m3u8`, (e) => events.push(e));
      // 8 s at 25 fps; MPEG-TS timestamps (AAC priming) may round to one more unit.
      expect(Math.abs(frames - 200)).toBeLessThanOrEqual(1);
      expect(Math.abs(chunks - 200)).toBeLessThanOrEqual(1);
      const segments = readdirSync(vodDir).filter((f) => f.endsWith('.ts'));
      expect(events.filter((e) => e.type === 'segment')).toHaveLength(segments.length);
      expect(events.at(-1)?.type).toBe('ended');
    } finally {
      await server.close();
    }
  });

  it('joins the timeline up where segments are missing, without repeated frames or padded silence', async () => {
    // Segments 3–5 missing (as when a live reader falls behind and they roll off): a 3 s jump in
    // the timestamps, which ffmpeg would otherwise fill with 3 s of one frame (a false freeze)
    // and 3 s of silence.
    const lines = ['#EXTM3U', '#EXT-X-TARGETDURATION:1', '#EXT-X-MEDIA-SEQUENCE:0'];
    for (const i of [0, 1, 2, 6, 7]) lines.push('#EXTINF:1.0,', `seg00${i}.ts`);
    const server = await site(vodDir, { '/gap.m3u8': () => ({ status: 200, body: [...lines, '#EXT-X-ENDLIST', ''].join('\n') }) });
    try {
      let frames = 0;
      let chunks = 0;
      let repeated = 0;
      let previous: Uint8Array | null = null;
      for await (const batch of converter.decode({ url: `${server.url}/gap.m3u8` }, spec, { streamId: 'gap' })) {
        chunks += batch.audio.length;
        for (const frame of batch.video) {
          const luma = frame.planes[0] as Uint8Array;
          if (previous && Buffer.compare(previous, luma) === 0) repeated++;
          previous = Uint8Array.from(luma);
          frames++;
        }
      }
      // 5 s of media: 125 frames and chunks (one more at most), not 200.
      expect(Math.abs(frames - 125)).toBeLessThanOrEqual(1);
      expect(Math.abs(chunks - 125)).toBeLessThanOrEqual(1);
      expect(repeated).toBeLessThanOrEqual(1);
    } finally {
      await server.close();
    }
  });

  it('S2: refuses a segment on another internal server (and file://); the internal server is never hit', async () => {
    const internal = await site(null, { '/secret.ts': () => ({ status: 200, body: 'secret' }) });
    const playlist = (uri: string) => `#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.0,\nseg000.ts\n#EXTINF:1.0,\n${uri}\n#EXT-X-ENDLIST\n`;
    const server = await site(vodDir, {
      '/to-internal.m3u8': () => ({ status: 200, body: playlist(`${internal.url}/secret.ts`) }),
      '/to-file.m3u8': () => ({ status: 200, body: playlist('file:///etc/passwd') }),
    });
    try {
      for (const name of ['to-internal', 'to-file']) {
        const err = await failureOf(decodeAll(`${server.url}/${name}.m3u8`));
        expect(err.code).toBe('SOURCE_REJECTED');
      }
      expect(internal.hits).toEqual([]);
    } finally {
      await server.close();
      await internal.close();
    }
  });

  it('S3: a redirect to an internal address, or a name resolving to 127.0.0.1, is re-validated and refused', async () => {
    const internal = await site(null, { '/secret.ts': () => ({ status: 200, body: 'secret' }) });
    const server = await site(vodDir, {
      '/redirecting.m3u8': () => ({
        status: 200,
        body: '#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nseg000.ts\n#EXTINF:1.0,\nhop.ts\n#EXT-X-ENDLIST\n',
      }),
      '/hop.ts': () => ({ status: 302, headers: { Location: `${internal.url}/secret.ts` } }),
      '/named.m3u8': () => ({
        status: 200,
        body: `#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nhttp://internal.example:${new URL(internal.url).port}/secret.ts\n#EXT-X-ENDLIST\n`,
      }),
    });
    const resolving = converterResolving('internal.example');
    try {
      expect((await failureOf(decodeAll(`${server.url}/redirecting.m3u8`))).code).toBe('SOURCE_REJECTED');
      const named = (async () => {
        for await (const batch of resolving.decode({ url: `${server.url}/named.m3u8` }, spec, { streamId: 'n' })) void batch;
      })();
      expect((await failureOf(named)).code).toBe('SOURCE_REJECTED');
      expect(internal.hits).toEqual([]);
    } finally {
      await server.close();
      await internal.close();
    }
  });

  it('connects to the addresses it checked, never to a second DNS answer (no rebinding)', async () => {
    // `pinned.example` exists only in the converter's own resolver, which the input rules use: DNS
    // knows no such name. The segments can only be fetched if every connection goes to the
    // address the check saw (127.0.0.1), not to what a fresh lookup would say.
    const server = await site(vodDir);
    const pinning = converterResolving('pinned.example');
    try {
      let frames = 0;
      for await (const batch of pinning.decode({ url: `http://pinned.example:${new URL(server.url).port}/vod.m3u8` }, spec, { streamId: 'p' })) frames += batch.video.length;
      expect(Math.abs(frames - 200)).toBeLessThanOrEqual(1);
      expect(server.hits.filter((h) => h.endsWith('.ts'))).toHaveLength(8);
    } finally {
      await server.close();
    }
  });

  it.each([
    ['', spec],
    [", with the decoder's reports (frames held until the log passes them)", { ...spec, video: { width: 80, height: 45, decoderReports: true } }],
  ])('releases the end of the last live segment while the next one is still to come%s', async (_with, decodeSpec) => {
    // A live playlist that lists 3 s and then nothing new: the last batch (2–3 s) would wait for
    // a frame past 3 s, which never comes. Released once the decoder has gone quiet instead.
    const lines = ['#EXTM3U', '#EXT-X-TARGETDURATION:1', '#EXT-X-MEDIA-SEQUENCE:0'];
    for (const i of [0, 1, 2]) lines.push('#EXTINF:1.0,', `seg00${i}.ts`);
    const server = await site(vodDir, { '/stuck.m3u8': () => ({ status: 200, body: `${lines.join('\n')}\n` }) });
    const controller = new AbortController();
    let reached = 0;
    const decoding = (async () => {
      for await (const batch of converter.decode({ url: `${server.url}/stuck.m3u8` }, decodeSpec, { streamId: 'stuck', signal: controller.signal })) {
        reached = Math.max(reached, batch.endSec);
      }
    })().catch((err: unknown) => err);
    try {
      // The decoder holds back only the last few frames (B-frame reordering, the last PES).
      expect(await waitFor(() => reached >= 2.6, 4000)).toBe(true);
    } finally {
      controller.abort();
      expect(await decoding).toBeInstanceOf(CancelledError);
      await server.close();
    }
  });

  it('follows a live playlist until cancelled, then stops and reaps its ffmpeg', async () => {
    // A live window (4 segments, no #EXT-X-ENDLIST) sliding over the VOD's segments, one more every 400 ms.
    const segments = readdirSync(vodDir).filter((f) => f.endsWith('.ts')).sort();
    const started = Date.now();
    const server = await site(vodDir, {
      '/live.m3u8': () => {
        const n = Math.min(segments.length, 3 + Math.floor((Date.now() - started) / 400));
        const first = Math.max(0, n - 4);
        const lines = ['#EXTM3U', '#EXT-X-TARGETDURATION:1', `#EXT-X-MEDIA-SEQUENCE:${first}`];
        for (let i = first; i < n; i++) lines.push('#EXTINF:1.0,', segments[i] as string);
        return { status: 200, body: lines.join('\n') + '\n' };
      },
    });
    const controller = new AbortController();
    let frames = 0;
    let pids: number[] = [];
    let error: unknown;
    try {
      for await (const batch of converter.decode({ url: `${server.url}/live.m3u8` }, spec, { streamId: 'live', signal: controller.signal })) {
        frames += batch.video.length;
        if (frames >= 100 && pids.length === 0) {
          pids = childPids('ffmpeg');
          controller.abort();
        }
      }
    } catch (err) {
      error = err;
    } finally {
      await server.close();
    }
    expect(error).toBeInstanceOf(CancelledError);
    expect(pids).toHaveLength(1);
    expect(processExists(pids[0] as number)).toBe(false);
  }, 30_000);
});
