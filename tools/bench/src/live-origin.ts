/**
 * A live HLS origin on loopback for `npm run bench:live`: it publishes the segments of one
 * pre-encoded clip as N independent live streams, each on its own wall-clock schedule, the way
 * a live encoder does (segment i appears once its last frame would have been captured), with a
 * sliding window and no #EXT-X-ENDLIST; the clip repeats for as long as the benchmark runs, each
 * pass after a #EXT-X-DISCONTINUITY. No encoder runs during the benchmark, so the machine's
 * CPU goes to the monitor under test.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One segment of the clip. */
export interface OriginSegment {
  file: string;
  durationSec: number;
}

/** What {@link startLiveOrigin} serves. */
export interface LiveOriginOptions {
  segments: OriginSegment[];
  streams: number;
  /** performance.now() at which stream k's first frame is captured: its segment 0 is published `durationSec` later. */
  startMs: (stream: number) => number;
  /** Segments in each playlist. Default 6. */
  window?: number;
}

/** A running origin. */
export interface LiveOrigin {
  /** Playlist URL of stream k. */
  url(stream: number): string;
  /** performance.now() at which segment i of stream k is published. */
  publishedAt(stream: number, segment: number): number;
  close(): Promise<void>;
}

/** Starts the origin on 127.0.0.1 (any free port). */
export async function startLiveOrigin(options: LiveOriginOptions): Promise<LiveOrigin> {
  const window = options.window ?? 6;
  const bodies = options.segments.map((s) => readFileSync(s.file));
  const count = options.segments.length;
  const ends: number[] = [];
  let t = 0;
  for (const s of options.segments) ends.push((t += s.durationSec));
  const total = t;
  const target = Math.ceil(Math.max(...options.segments.map((s) => s.durationSec)));
  // Segment i is clip segment i mod count of pass ⌊i / count⌋: the clip repeats for ever.
  const publishedAt = (stream: number, segment: number): number =>
    options.startMs(stream) + (Math.floor(segment / count) * total + (ends[segment % count] ?? Infinity)) * 1000;
  const published = (stream: number, now: number): number => {
    const pass = Math.max(0, Math.floor((now - options.startMs(stream)) / 1000 / total));
    let n = pass * count;
    while (publishedAt(stream, n) <= now) n++;
    return n;
  };

  const server = createServer((req, res) => {
    const match = /^\/s(\d+)\/(live\.m3u8|seg(\d+)\.ts)$/.exec(req.url ?? '');
    const stream = Number(match?.[1]);
    if (!match || !(stream >= 0 && stream < options.streams)) return void res.writeHead(404).end();
    const now = performance.now();
    const available = published(stream, now);
    if (match[2] === 'live.m3u8') {
      const first = Math.max(0, available - window);
      const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${target}`, `#EXT-X-MEDIA-SEQUENCE:${first}`];
      for (let i = first; i < available; i++) {
        // Each pass of the clip starts its timestamps again, as a restarted encoder's would.
        if (i > 0 && i % count === 0) lines.push('#EXT-X-DISCONTINUITY');
        lines.push(`#EXTINF:${(options.segments[i % count] as OriginSegment).durationSec.toFixed(3)},`, `seg${i}.ts`);
      }
      res.writeHead(200, { 'Content-Type': 'application/vnd.apple.mpegurl', 'Cache-Control': 'no-cache' }).end(lines.join('\n') + '\n');
      return;
    }
    const index = Number(match[3]);
    if (index >= available) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'video/mp2t' }).end(bodies[index % count]);
  });
  // Many streams poll at once; keep-alive connections avoid a TCP handshake per request.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (stream) => `http://127.0.0.1:${port}/s${stream}/live.m3u8`,
    publishedAt,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
