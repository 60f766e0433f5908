import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CancelledError, FramewatchError, InputError, SourceRejectedError, SourceTimeoutError } from '@framewatch/errors';
import { parsePlaylist, readHls } from './hls';
import type { HlsEvent, HlsReaderOptions } from './hls';

/** A loopback HTTP server; `log` is shared with the URL rules so their order can be checked. */
interface TestServer {
  base: string;
  /** Full URLs of the requests, in arrival order. */
  hits: string[];
  close(): Promise<void>;
}

async function startServer(log: string[], handler: (req: IncomingMessage, res: ServerResponse, base: string) => void): Promise<TestServer> {
  const hits: string[] = [];
  const sockets = new Set<Socket>();
  let base = '';
  const server = createServer((req, res) => {
    const url = `${base}${req.url ?? ''}`;
    hits.push(url);
    log.push(`hit ${url}`);
    handler(req, res, base);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    hits,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The URL rules of the tests: refuse anything but http(s), the metadata address and the host name
 * `localhost` (standing in for "resolves to a private address": it reaches the test server, so a
 * request that slipped through would show up in its hits). Records every URL it is asked about.
 */
function urlRules(log: string[]) {
  const asked: string[] = [];
  const refusals: SourceRejectedError[] = [];
  const checkUrl = async (url: string): Promise<void> => {
    asked.push(url);
    log.push(`check ${url}`);
    const { protocol, hostname } = new URL(url);
    let refusal: SourceRejectedError | null = null;
    if (protocol !== 'http:' && protocol !== 'https:') refusal = new SourceRejectedError(`scheme ${protocol} not allowed`);
    else if (hostname === '169.254.169.254' || hostname === 'localhost') refusal = new SourceRejectedError(`${hostname} is not allowed`);
    if (refusal !== null) {
      refusals.push(refusal);
      throw refusal;
    }
  };
  return { asked, refusals, checkUrl };
}

/** Every request was preceded by its own checkUrl call (one check per request, redirects included). */
function expectEveryRequestChecked(log: string[]): void {
  const checks = new Map<string, number>();
  const hits = new Map<string, number>();
  for (const entry of log) {
    const [kind, url] = entry.split(' ');
    const counts = kind === 'check' ? checks : hits;
    counts.set(url, (counts.get(url) ?? 0) + 1);
    if (kind === 'hit') expect({ url, checked: (checks.get(url) ?? 0) >= (hits.get(url) ?? 0) }).toEqual({ url, checked: true });
  }
  expect(hits.size).toBeGreaterThan(0);
}

/** Collects events and lets a test await one without sleeping a fixed time. */
function eventRecorder() {
  const events: HlsEvent[] = [];
  const waiters: { match: (e: HlsEvent) => boolean; resolve: (e: HlsEvent) => void }[] = [];
  const onEvent = (event: HlsEvent): void => {
    events.push(event);
    for (const waiter of [...waiters]) {
      if (waiter.match(event)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  };
  /** The next event matching `match` from now on. */
  const next = (match: (e: HlsEvent) => boolean, timeoutMs = 8000): Promise<HlsEvent> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`no matching HLS event within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.type))}`));
      }, timeoutMs);
      const waiter = {
        match,
        resolve: (e: HlsEvent) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      waiters.push(waiter);
    });
  return { events, onEvent, next };
}

async function collect(iterable: AsyncIterable<Buffer>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of iterable) out.push(chunk.toString());
  return out;
}

function mediaPlaylist(opts: { target?: number; sequence?: number; uris: string[]; ended?: boolean }): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${opts.target ?? 1}`, `#EXT-X-MEDIA-SEQUENCE:${opts.sequence ?? 0}`];
  for (const uri of opts.uris) lines.push('#EXTINF:1.000,', uri);
  if (opts.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

function send(res: ServerResponse, status: number, body: string, type = 'video/mp2t'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** A live origin: a sliding window of 4 segments; the test or a timer appends. */
function liveOrigin(opts: { first: number; count: number }) {
  const state = { generation: 1, next: opts.first + opts.count, window: [] as number[] };
  for (let n = opts.first; n < opts.first + opts.count; n++) state.window.push(n);
  state.window = state.window.slice(-4);
  return {
    state,
    append(): void {
      state.window = [...state.window, state.next++].slice(-4);
    },
    /** An encoder restart: numbering starts again from 0. */
    restart(count: number): void {
      state.generation++;
      state.window = Array.from({ length: count }, (_, i) => i).slice(-4);
      state.next = count;
    },
    handle(req: IncomingMessage, res: ServerResponse): void {
      const path = req.url ?? '';
      if (path === '/live.m3u8') {
        send(res, 200, mediaPlaylist({ sequence: state.window[0], uris: state.window.map((n) => `g${state.generation}-seg-${n}.ts`) }), 'application/vnd.apple.mpegurl');
        return;
      }
      const m = /^\/(g\d+-seg-\d+)\.ts$/.exec(path);
      if (m) send(res, 200, m[1]);
      else send(res, 404, 'not found', 'text/plain');
    },
  };
}

/**
 * Tracks the timeouts created from now on (by the reader and by undici) until `stop()`:
 * `pending()` lists those that neither fired nor were cleared and would keep the process alive.
 */
function trackTimers() {
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const live = new Set<NodeJS.Timeout>();
  let created = 0;
  const setSpy = jest.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const handle: NodeJS.Timeout = realSet(
      (...a: unknown[]) => {
        live.delete(handle);
        fn(...a);
      },
      ms,
      ...args,
    );
    live.add(handle);
    created++;
    return handle;
  }) as typeof setTimeout);
  const clearSpy = jest.spyOn(globalThis, 'clearTimeout').mockImplementation(((handle?: NodeJS.Timeout) => {
    if (handle !== undefined) live.delete(handle);
    realClear(handle);
  }) as typeof clearTimeout);
  return {
    pending: () => [...live].filter((t) => t.hasRef()),
    /** How many were created: proves the tracking saw the reader at all. */
    created: () => created,
    stop: () => {
      setSpy.mockRestore();
      clearSpy.mockRestore();
    },
  };
}

function options(partial: Partial<HlsReaderOptions> & Pick<HlsReaderOptions, 'playlistUrl' | 'checkUrl'>): HlsReaderOptions {
  return { ioTimeoutSec: 5, retry: { baseMs: 10, maxMs: 50 }, ...partial };
}

describe('parsePlaylist', () => {
  const base = 'https://cdn.example.com/live/index.m3u8?token=abc';

  it('reads a media playlist: relative URIs resolved, sequence numbers from the media sequence, ENDLIST', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-TARGETDURATION:6',
      '#EXT-X-MEDIA-SEQUENCE:41',
      '',
      '#EXTINF:6.006,',
      'seg41.ts',
      '#EXT-X-DISCONTINUITY',
      '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00Z',
      '#EXTINF:5.5,title here',
      '../other/seg42.ts?sig=1',
      '#EXTINF:4,',
      'https://edge.example.net/seg43.ts#frag',
      '#EXT-X-ENDLIST',
      '',
    ].join('\r\n');
    expect(parsePlaylist(text, base)).toEqual({
      kind: 'media',
      targetDurationSec: 6,
      mediaSequence: 41,
      ended: true,
      segments: [
        { url: 'https://cdn.example.com/live/seg41.ts', durationSec: 6.006, sequence: 41 },
        { url: 'https://cdn.example.com/other/seg42.ts?sig=1', durationSec: 5.5, sequence: 42 },
        { url: 'https://edge.example.net/seg43.ts', durationSec: 4, sequence: 43 },
      ],
    });
  });

  it('reads a live media playlist without ENDLIST as not ended, media sequence 0 by default', () => {
    const parsed = parsePlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.ts\n', base);
    expect(parsed).toMatchObject({ kind: 'media', ended: false, mediaSequence: 0, segments: [{ sequence: 0 }] });
  });

  it('lists the variants of a master playlist in the publisher order, with quoted attributes', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-STREAM-INF:BANDWIDTH=2500000,CODECS="avc1.4d401f,mp4a.40.2",RESOLUTION=1280x720',
      'hi/index.m3u8',
      '#EXT-X-STREAM-INF:CODECS="avc1.4d401e,mp4a.40.2",BANDWIDTH=400000',
      'lo/index.m3u8',
      '#EXT-X-STREAM-INF:RESOLUTION=1x1',
      '/abs/index.m3u8',
    ].join('\n');
    expect(parsePlaylist(text, base)).toEqual({
      kind: 'master',
      variants: [
        { url: 'https://cdn.example.com/live/hi/index.m3u8', bandwidth: 2500000 },
        { url: 'https://cdn.example.com/live/lo/index.m3u8', bandwidth: 400000 },
        { url: 'https://cdn.example.com/abs/index.m3u8', bandwidth: null },
      ],
    });
  });

  it('refuses text that does not start with #EXTM3U as INPUT_NOT_MEDIA, without the query in the message', () => {
    let thrown: unknown;
    try {
      parsePlaylist('<html>Not here</html>\n#EXTM3U\n', base);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect(thrown).toMatchObject({ code: 'INPUT_NOT_MEDIA', message: expect.stringContaining('#EXTM3U') });
    expect((thrown as Error).message).not.toContain('token');
  });

  it('refuses encrypted playlists (#EXT-X-KEY METHOD=AES-128) as INPUT_UNSUPPORTED but accepts METHOD=NONE', () => {
    const key = (method: string) => `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-KEY:METHOD=${method},URI="k.bin"\n#EXTINF:2,\na.ts\n`;
    expect(() => parsePlaylist(key('AES-128'), base)).toThrow(expect.objectContaining({ code: 'INPUT_UNSUPPORTED', message: expect.stringContaining('encrypted') }));
    expect(() => parsePlaylist(key('SAMPLE-AES'), base)).toThrow(expect.objectContaining({ code: 'INPUT_UNSUPPORTED' }));
    expect(parsePlaylist(key('NONE'), base)).toMatchObject({ kind: 'media', segments: [{ sequence: 0 }] });
  });

  it('refuses fMP4 (#EXT-X-MAP) and byte-range segments as INPUT_UNSUPPORTED', () => {
    const map = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:2,\na.m4s\n';
    expect(() => parsePlaylist(map, base)).toThrow(expect.objectContaining({ code: 'INPUT_UNSUPPORTED', message: expect.stringContaining('fMP4') }));
    const range = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n#EXT-X-BYTERANGE:1000@0\nall.ts\n';
    expect(() => parsePlaylist(range, base)).toThrow(expect.objectContaining({ code: 'INPUT_UNSUPPORTED' }));
  });

  it('refuses more than 10 000 segments, over-long lines, malformed durations and mixed master/media tags', () => {
    const many = `#EXTM3U\n#EXT-X-TARGETDURATION:1\n${'#EXTINF:1,\ns.ts\n'.repeat(10_001)}`;
    expect(() => parsePlaylist(many, base)).toThrow(expect.objectContaining({ code: 'INPUT_UNSUPPORTED', message: expect.stringContaining('10000') }));
    expect(() => parsePlaylist(`#EXTM3U\n#EXTINF:1,\n${'a'.repeat(40_000)}.ts\n`, base)).toThrow(expect.objectContaining({ code: 'INPUT_NOT_MEDIA' }));
    expect(() => parsePlaylist('#EXTM3U\n#EXTINF:abc,\na.ts\n', base)).toThrow(expect.objectContaining({ code: 'INPUT_NOT_MEDIA' }));
    expect(() => parsePlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n#EXTINF:1,\na.ts\n', base)).toThrow(
      expect.objectContaining({ code: 'INPUT_NOT_MEDIA' }),
    );
  });
});

describe('readHls against a loopback origin', () => {
  let log: string[];
  let servers: TestServer[];
  let timers: NodeJS.Timeout[];

  beforeEach(() => {
    log = [];
    servers = [];
    timers = [];
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    for (const timer of timers) clearInterval(timer);
    await Promise.all(servers.map((s) => s.close()));
  });

  async function serve(handler: (req: IncomingMessage, res: ServerResponse, base: string) => void): Promise<TestServer> {
    const server = await startServer(log, handler);
    servers.push(server);
    return server;
  }

  it('reads a VOD stream through the first variant of a master playlist: every segment in order, then ended; every request checked first', async () => {
    const server = await serve((req, res) => {
      const path = req.url ?? '';
      if (path.startsWith('/master.m3u8')) {
        // The first variant is the more expensive one: the reader must not pick by bandwidth.
        send(res, 200, '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=3000000\nhi/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=100000\nlo/index.m3u8\n');
      } else if (path === '/hi/index.m3u8') {
        send(res, 200, mediaPlaylist({ target: 2, uris: ['seg-0.ts?sig=secret', 'seg-1.ts', 'moved.ts'], ended: true }));
      } else if (path === '/hi/moved.ts') {
        // A relative redirect is allowed: followed by hand and checked.
        res.writeHead(302, { location: 'seg-2.ts' }).end();
      } else if (/^\/hi\/seg-\d\.ts/.test(path)) {
        send(res, 200, `hi-${/seg-\d/.exec(path)?.[0]}`);
      } else {
        send(res, 404, 'nope');
      }
    });
    const rules = urlRules(log);
    const rec = eventRecorder();
    const playlistUrl = `${server.base}/master.m3u8?token=secret`;

    const got = await collect(readHls(options({ playlistUrl, checkUrl: rules.checkUrl, onEvent: rec.onEvent })));

    expect(got).toEqual(['hi-seg-0', 'hi-seg-1', 'hi-seg-2']);
    expect(rec.events.map((e) => e.type)).toEqual(['playlist', 'segment', 'segment', 'segment', 'ended']);
    expect(rec.events[0]).toEqual({ type: 'playlist', url: `${server.base}/hi/index.m3u8`, live: false, targetDurationSec: 2, mediaSequence: 0 });
    expect(rec.events.filter((e) => e.type === 'segment')).toEqual([
      expect.objectContaining({ url: `${server.base}/hi/seg-0.ts`, sequence: 0, durationSec: 1, bytes: 8 }),
      expect.objectContaining({ url: `${server.base}/hi/seg-1.ts`, sequence: 1 }),
      expect.objectContaining({ url: `${server.base}/hi/moved.ts`, sequence: 2 }),
    ]);
    expect(JSON.stringify(rec.events)).not.toContain('secret');
    expect(server.hits.some((url) => url.includes('/lo/'))).toBe(false);
    expect(rules.asked).toEqual(expect.arrayContaining([playlistUrl, `${server.base}/hi/moved.ts`, `${server.base}/hi/seg-2.ts`]));
    expectEveryRequestChecked(log);
  });

  it('starts a live stream 3 segments from the live edge, yields each new segment once in order, and stops with CancelledError on abort', async () => {
    const origin = liveOrigin({ first: 0, count: 6 }); // window 2..5
    const server = await serve((req, res) => origin.handle(req, res));
    timers.push(setInterval(() => origin.append(), 300));
    const rules = urlRules(log);
    const rec = eventRecorder();
    const controller = new AbortController();
    const tracked = trackTimers();

    const iterator = readHls(
      options({ playlistUrl: `${server.base}/live.m3u8`, checkUrl: rules.checkUrl, onEvent: rec.onEvent, signal: controller.signal }),
    )[Symbol.asyncIterator]();
    const got: string[] = [];
    while (got.length < 7) {
      const step = await iterator.next();
      if (step.done) throw new Error('a live stream ended');
      got.push(step.value.toString());
    }

    expect(got).toEqual([3, 4, 5, 6, 7, 8, 9].map((n) => `g1-seg-${n}`));
    const sequences = rec.events.flatMap((e) => (e.type === 'segment' ? [e.sequence] : []));
    expect(sequences).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(rec.events.find((e) => e.type === 'playlist')).toMatchObject({ live: true, targetDurationSec: 1 });
    // publishedAtMs is when a playlist first listed the segment: 3–5 came in the first fetch together.
    const published = rec.events.flatMap((e) => (e.type === 'segment' ? [e.publishedAtMs] : []));
    expect(new Set(published.slice(0, 3)).size).toBe(1);
    expect(published[6]).toBeGreaterThan(published[0]);

    // Abort while the reader is busy (polling or fetching), not only between segments.
    const pending = iterator.next();
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
    await expect(iterator.next()).resolves.toEqual({ done: true, value: undefined });
    // No timer of the reader (poll waits, request deadlines, the stall watch) survives it.
    tracked.stop();
    expect(tracked.created()).toBeGreaterThan(0);
    expect(tracked.pending()).toHaveLength(0);
    expectEveryRequestChecked(log);
  });

  it('rides out a name that briefly cannot be resolved on a live stream, retrying with back-off; a refusal still ends it', async () => {
    const origin = liveOrigin({ first: 0, count: 6 });
    const server = await serve((req, res) => origin.handle(req, res));
    timers.push(setInterval(() => origin.append(), 200));
    const rules = urlRules(log);
    let checks = 0;
    // After a few good checks, DNS fails twice (as validateSource reports it), then recovers.
    const checkUrl = async (url: string): Promise<void> => {
      checks += 1;
      if (checks === 5 || checks === 6) throw new InputError('INPUT_NOT_FOUND', 'the host of the stream cannot be resolved');
      await rules.checkUrl(url);
    };
    const rec = eventRecorder();
    const controller = new AbortController();
    const iterator = readHls(options({ playlistUrl: `${server.base}/live.m3u8`, checkUrl, onEvent: rec.onEvent, signal: controller.signal }))[Symbol.asyncIterator]();
    const got: string[] = [];
    while (got.length < 6) {
      const step = await iterator.next();
      if (step.done) throw new Error('a live stream ended');
      got.push(step.value.toString());
    }
    controller.abort();
    await iterator.next().catch(() => undefined);
    expect(got).toEqual([3, 4, 5, 6, 7, 8].map((n) => `g1-seg-${n}`));
    const retries = rec.events.filter((e) => e.type === 'retry');
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatchObject({ error: expect.stringContaining('cannot be resolved') });

    // A refusal (not a resolution failure) is final even on a live stream.
    let refusing = 0;
    const refusal = readHls(
      options({
        playlistUrl: `${server.base}/live.m3u8`,
        checkUrl: async (url) => {
          if (++refusing === 3) throw new SourceRejectedError('an internal address');
          await rules.checkUrl(url);
        },
      }),
    );
    await expect(collect(refusal)).rejects.toBeInstanceOf(SourceRejectedError);
  });

  it('aborting while it waits for the next poll rejects with CancelledError and leaves no timer behind', async () => {
    const origin = liveOrigin({ first: 0, count: 4 }); // never advances
    const server = await serve((req, res) => origin.handle(req, res));
    const rules = urlRules(log);
    const rec = eventRecorder();
    const controller = new AbortController();
    const tracked = trackTimers();
    const iterator = readHls(
      options({ playlistUrl: `${server.base}/live.m3u8`, checkUrl: rules.checkUrl, onEvent: rec.onEvent, signal: controller.signal }),
    )[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) await iterator.next();

    // The re-fetched playlist lists nothing new: right after its event the reader sleeps until the next poll.
    const polled = rec.next((e) => e.type === 'playlist');
    const pending = iterator.next();
    await polled;
    controller.abort();

    await expect(pending).rejects.toBeInstanceOf(CancelledError);
    tracked.stop();
    expect(tracked.created()).toBeGreaterThan(0);
    expect(tracked.pending()).toHaveLength(0);
  });

  it('reports a stall once when the playlist stops advancing, then resumes with the new segment', async () => {
    const origin = liveOrigin({ first: 0, count: 4 });
    const server = await serve((req, res) => origin.handle(req, res));
    const rules = urlRules(log);
    const rec = eventRecorder();
    const controller = new AbortController();
    const iterator = readHls(
      options({ playlistUrl: `${server.base}/live.m3u8`, checkUrl: rules.checkUrl, onEvent: rec.onEvent, signal: controller.signal, stallSec: 1 }),
    )[Symbol.asyncIterator]();
    try {
      for (const n of [1, 2, 3]) expect((await iterator.next()).value?.toString()).toBe(`g1-seg-${n}`);

      const waitingSince = performance.now();
      const stalled = rec.next((e) => e.type === 'stalled');
      const pending = iterator.next();
      const stall = await stalled;
      const stalledAfterMs = performance.now() - waitingSince;
      expect(stalledAfterMs).toBeGreaterThanOrEqual(900);
      expect(stalledAfterMs).toBeLessThan(2500);
      expect(stall).toEqual({ type: 'stalled', sinceMs: expect.any(Number) });

      // Two more polls of the unchanged playlist report no second stall.
      await rec.next((e) => e.type === 'playlist');
      await rec.next((e) => e.type === 'playlist');
      expect(rec.events.filter((e) => e.type === 'stalled')).toHaveLength(1);

      origin.append();
      expect((await pending).value?.toString()).toBe('g1-seg-4');
      const types = rec.events.map((e) => e.type);
      const resumedAt = types.indexOf('resumed');
      expect(resumedAt).toBeGreaterThan(types.indexOf('stalled'));
      expect(rec.events[resumedAt + 1]).toMatchObject({ type: 'segment', sequence: 4 });
      expect((rec.events[resumedAt] as { stalledForMs: number }).stalledForMs).toBeGreaterThanOrEqual(900);
    } finally {
      controller.abort();
      await iterator.return?.();
    }
  });

  it('restarts from the new live edge when the media sequence goes backwards (encoder restart)', async () => {
    const origin = liveOrigin({ first: 10, count: 4 }); // window 10..13
    const server = await serve((req, res) => origin.handle(req, res));
    const rules = urlRules(log);
    const controller = new AbortController();
    const iterator = readHls(options({ playlistUrl: `${server.base}/live.m3u8`, checkUrl: rules.checkUrl, signal: controller.signal }))[
      Symbol.asyncIterator
    ]();
    try {
      const got: string[] = [];
      for (let i = 0; i < 3; i++) got.push(String((await iterator.next()).value));
      origin.restart(5); // window 1..4 of generation 2
      for (let i = 0; i < 3; i++) got.push(String((await iterator.next()).value));
      expect(got).toEqual(['g1-seg-11', 'g1-seg-12', 'g1-seg-13', 'g2-seg-2', 'g2-seg-3', 'g2-seg-4']);
    } finally {
      controller.abort();
      await iterator.return?.();
    }
  });

  it('says which segments it skipped when the consumer fell behind the live window', async () => {
    const origin = liveOrigin({ first: 10, count: 4 }); // window 10..13
    const server = await serve((req, res) => origin.handle(req, res));
    const rules = urlRules(log);
    const controller = new AbortController();
    const recorder = eventRecorder();
    const iterator = readHls(options({ playlistUrl: `${server.base}/live.m3u8`, checkUrl: rules.checkUrl, signal: controller.signal, onEvent: recorder.onEvent }))[
      Symbol.asyncIterator
    ]();
    try {
      const got: string[] = [];
      for (let i = 0; i < 3; i++) got.push(String((await iterator.next()).value)); // 11, 12, 13
      // The consumer is slow: 6 segments are published meanwhile and the window (4) moves past 14 and 15.
      for (let i = 0; i < 6; i++) origin.append(); // window 16..19
      got.push(String((await iterator.next()).value));
      expect(got).toEqual(['g1-seg-11', 'g1-seg-12', 'g1-seg-13', 'g1-seg-16']);
      expect(recorder.events.filter((e) => e.type === 'skipped')).toEqual([{ type: 'skipped', fromSequence: 14, count: 2 }]);
    } finally {
      controller.abort();
      await iterator.return?.();
    }
  });

  it.each([
    ['the metadata address', 'http://169.254.169.254/x.ts'],
    ['a refused host', 'LOCAL/secret.ts'],
    ['a non-http scheme', 'file:///etc/passwd'],
  ])('throws the checkUrl error for a segment on %s, without fetching it', async (_name, target) => {
    const server = await serve((req, res, base) => {
      const path = req.url ?? '';
      const uri = target.replace('LOCAL', base.replace('127.0.0.1', 'localhost'));
      if (path === '/vod.m3u8') send(res, 200, mediaPlaylist({ uris: ['seg-0.ts', uri], ended: true }));
      else send(res, 200, path.slice(1));
    });
    const rules = urlRules(log);
    const iterator = readHls(options({ playlistUrl: `${server.base}/vod.m3u8`, checkUrl: rules.checkUrl }))[Symbol.asyncIterator]();

    expect((await iterator.next()).value?.toString()).toBe('seg-0.ts');
    const failure = await iterator.next().catch((err: unknown) => err);

    expect(rules.refusals).toHaveLength(1);
    expect(failure).toBe(rules.refusals[0]);
    expect(server.hits.map((url) => new URL(url).pathname)).toEqual(['/vod.m3u8', '/seg-0.ts']);
  });

  it('does not follow a redirect from an allowed segment URL to a refused one', async () => {
    const server = await serve((req, res, base) => {
      const path = req.url ?? '';
      if (path === '/vod.m3u8') send(res, 200, mediaPlaylist({ uris: ['jump.ts'], ended: true }));
      else if (path === '/jump.ts') res.writeHead(302, { location: `${base.replace('127.0.0.1', 'localhost')}/secret.ts` }).end();
      else send(res, 200, 'secret');
    });
    const rules = urlRules(log);

    const failure = await collect(readHls(options({ playlistUrl: `${server.base}/vod.m3u8`, checkUrl: rules.checkUrl }))).catch((err: unknown) => err);

    expect(failure).toBe(rules.refusals[0]);
    expect(rules.asked.at(-1)).toMatch(/^http:\/\/localhost:\d+\/secret\.ts$/);
    expect(server.hits.map((url) => new URL(url).pathname)).toEqual(['/vod.m3u8', '/jump.ts']);
  });

  it('retries a segment that answers 503 twice, then yields its bytes once', async () => {
    let segmentRequests = 0;
    const server = await serve((req, res) => {
      if (req.url === '/vod.m3u8') send(res, 200, mediaPlaylist({ uris: ['flaky.ts', 'next.ts'], ended: true }));
      else if (req.url === '/flaky.ts' && ++segmentRequests <= 2) send(res, 503, 'busy', 'text/plain');
      else send(res, 200, (req.url ?? '').slice(1));
    });
    const rules = urlRules(log);
    const rec = eventRecorder();

    const got = await collect(readHls(options({ playlistUrl: `${server.base}/vod.m3u8`, checkUrl: rules.checkUrl, onEvent: rec.onEvent })));

    expect(got).toEqual(['flaky.ts', 'next.ts']);
    const retries = rec.events.filter((e) => e.type === 'retry');
    expect(retries).toEqual([
      { type: 'retry', url: `${server.base}/flaky.ts`, attempt: 1, delayMs: expect.any(Number), error: expect.stringContaining('HTTP 503') },
      { type: 'retry', url: `${server.base}/flaky.ts`, attempt: 2, delayMs: expect.any(Number), error: expect.stringContaining('HTTP 503') },
    ]);
    expect(rec.events.filter((e) => e.type === 'segment' && e.sequence === 0)).toHaveLength(1);
    expectEveryRequestChecked(log);
  });

  it('gives up on a VOD segment after 5 attempts with INPUT_NOT_FOUND naming the status', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/vod.m3u8') send(res, 200, mediaPlaylist({ uris: ['down.ts'], ended: true }));
      else send(res, 503, 'busy', 'text/plain');
    });
    const rules = urlRules(log);
    const rec = eventRecorder();

    const failure = await collect(readHls(options({ playlistUrl: `${server.base}/vod.m3u8`, checkUrl: rules.checkUrl, onEvent: rec.onEvent }))).catch(
      (err: unknown) => err,
    );

    expect(failure).toBeInstanceOf(InputError);
    expect(failure).toMatchObject({ code: 'INPUT_NOT_FOUND', message: expect.stringContaining('HTTP 503') });
    expect(rec.events.filter((e) => e.type === 'retry')).toHaveLength(4);
    expect(server.hits.filter((url) => url.endsWith('/down.ts'))).toHaveLength(5);
  });

  it('fails with INPUT_NOT_FOUND and the status when the top playlist answers 404', async () => {
    const server = await serve((_req, res) => send(res, 404, 'gone', 'text/plain'));
    const rules = urlRules(log);

    const failure = await collect(readHls(options({ playlistUrl: `${server.base}/missing.m3u8?token=secret`, checkUrl: rules.checkUrl }))).catch(
      (err: unknown) => err,
    );

    expect(failure).toBeInstanceOf(InputError);
    expect(failure).toMatchObject({ code: 'INPUT_NOT_FOUND', message: `${server.base}/missing.m3u8 was not found (HTTP 404)` });
    expect(server.hits).toHaveLength(1);
  });

  it('fails with SourceTimeoutError when a segment never finishes within ioTimeoutSec', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/vod.m3u8') send(res, 200, mediaPlaylist({ uris: ['slow.ts'], ended: true }));
      else res.writeHead(200, { 'content-length': 100 }).write('partial'); // and never more
    });
    const rules = urlRules(log);

    const failure = await collect(readHls(options({ playlistUrl: `${server.base}/vod.m3u8`, checkUrl: rules.checkUrl, ioTimeoutSec: 0.2 }))).catch(
      (err: unknown) => err,
    );

    expect(failure).toBeInstanceOf(SourceTimeoutError);
    expect((failure as FramewatchError).code).toBe('SOURCE_TIMEOUT');
  });

  it.each([
    ['with Content-Length', true],
    ['chunked, cut off while streaming', false],
  ])('refuses a playlist over maxPlaylistBytes (%s)', async (_name, declared) => {
    const big = mediaPlaylist({ uris: Array.from({ length: 200 }, (_, i) => `segment-${i}.ts`), ended: true });
    const server = await serve((_req, res) => {
      if (declared) return send(res, 200, big);
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' });
      res.write(big);
      res.write(big); // a chunked answer: only counting bytes can stop it
      res.end();
    });
    const rules = urlRules(log);

    const failure = await collect(
      readHls(options({ playlistUrl: `${server.base}/big.m3u8`, checkUrl: rules.checkUrl, maxPlaylistBytes: 1000 })),
    ).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(SourceRejectedError);
    expect(failure).toMatchObject({
      code: 'SOURCE_REJECTED',
      message: `${server.base}/big.m3u8 is larger than the limit of 1000 bytes`,
      detail: { reason: 'size', limitBytes: 1000 },
    });
  });

  it('refuses a segment over maxSegmentBytes', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/vod.m3u8') return send(res, 200, mediaPlaylist({ uris: ['huge.ts'], ended: true }));
      res.writeHead(200);
      res.end(Buffer.alloc(64 * 1024));
    });
    const rules = urlRules(log);

    const failure = await collect(
      readHls(options({ playlistUrl: `${server.base}/vod.m3u8`, checkUrl: rules.checkUrl, maxSegmentBytes: 4096 })),
    ).catch((err: unknown) => err);

    expect(failure).toMatchObject({ code: 'SOURCE_REJECTED', detail: { reason: 'size' } });
  });

  it('stops with the listener error when onEvent throws', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/vod.m3u8') send(res, 200, mediaPlaylist({ uris: ['a.ts', 'b.ts'], ended: true }));
      else send(res, 200, 'x');
    });
    const rules = urlRules(log);
    const boom = new Error('listener failed');

    const failure = await collect(
      readHls(
        options({
          playlistUrl: `${server.base}/vod.m3u8`,
          checkUrl: rules.checkUrl,
          onEvent: (e) => {
            if (e.type === 'segment') throw boom;
          },
        }),
      ),
    ).catch((err: unknown) => err);

    expect(failure).toBe(boom);
    expect(server.hits.filter((url) => url.endsWith('/b.ts'))).toHaveLength(0);
  });
});
