/**
 * Reading HLS in Node instead of letting ffmpeg do it: ffmpeg's hls demuxer fetches variant
 * playlists and segments on its own, and `-protocol_whitelist` filters schemes but not
 * destinations, so a playlist on a public host could point ffmpeg at 169.254.169.254 or a private
 * network. Here every URL (playlist, variant playlist, segment, redirect target) passes the
 * caller's `checkUrl` right before it is requested, redirects are followed by hand, and a live
 * stream that stops publishing segments is reported as stalled. The segment bytes (MPEG-TS) are
 * handed to the caller, who pipes them into ffmpeg's stdin.
 *
 * DNS rebinding: `checkUrl` resolves the hostname and checks the addresses it found, and returns
 * them; connections to that host then go to those addresses only (the agent's `connect.lookup`
 * answers from them instead of asking DNS again), so a hostile DNS server cannot answer a public
 * address to the check and a private one to the connection.
 */
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  CancelledError,
  ConfigError,
  FramewatchError,
  InputError,
  SourceRejectedError,
  SourceTimeoutError,
  systemErrorCode,
} from '@framewatch/errors';
import { Agent, request } from 'undici';
import { redactUrls } from './errors';

/**
 * What the reader reports while it runs, in the order things happen. URLs in events are shown
 * without credentials or query string (`https://host/path`): queries often carry tokens.
 */
export type HlsEvent =
  /** After each successful fetch of the media playlist (`url` is the media playlist's). */
  | { type: 'playlist'; url: string; live: boolean; targetDurationSec: number; mediaSequence: number }
  /**
   * After a segment's bytes arrived, just before they are yielded. `publishedAtMs` is the
   * `performance.now()` at which the segment first appeared in a fetched playlist.
   */
  | { type: 'segment'; url: string; sequence: number; durationSec: number; bytes: number; publishedAtMs: number }
  /**
   * No new segment for `stallSec` (the playlist repeats itself, or fetches keep failing); once per
   * stall. `sinceMs` is the `performance.now()` at which the last new segment arrived.
   */
  | { type: 'stalled'; sinceMs: number }
  /** A new segment arrived after 'stalled'; `stalledForMs` is the gap since the previous new segment. */
  | { type: 'resumed'; stalledForMs: number }
  /** A transient failure (network, timeout, 5xx/429/408, a live 404); `attempt` failed, the next comes after `delayMs`. */
  | { type: 'retry'; url: string; attempt: number; delayMs: number; error: string }
  /** A VOD playlist, or a live one that got #EXT-X-ENDLIST, was read to its end. */
  | { type: 'ended' }
  /** Live: the reader fell behind the playlist's window and segments it never read rolled off. */
  | { type: 'skipped'; fromSequence: number; count: number };

/** Options of {@link readHls}. */
export interface HlsReaderOptions {
  /** The playlist URL (http/https), as the user gave it. It is checked with checkUrl too. */
  playlistUrl: string;
  /**
   * Throws (e.g. SourceRejectedError from @framewatch/errors) when a URL must not be fetched.
   * Called for EVERY url right before it is fetched, after resolving relative URIs and redirects.
   * Whatever it throws ends the read as is, never retried. It may return the addresses it checked
   * for the URL's host: connections to that host then go to them only (DNS is not asked again).
   */
  checkUrl: (url: string) => Promise<readonly string[] | void>;
  /** Per-request timeout (connect + whole body), seconds. */
  ioTimeoutSec: number;
  /** Cap on a playlist body, default 1 MiB; larger → SOURCE_REJECTED. */
  maxPlaylistBytes?: number;
  /** Cap on one segment body, default 64 MiB; larger → SOURCE_REJECTED. */
  maxSegmentBytes?: number;
  /** Seconds without a new segment before a 'stalled' event; default 3 × target duration (min 2 s). */
  stallSec?: number;
  /**
   * Back-off for transient failures (network errors, timeouts, HTTP 5xx/429/408, 404/410 while
   * live): exponential from baseMs doubling up to maxMs, with jitter. Live playlists retry until
   * aborted (a stall is reported meanwhile); VOD and the first playlist fetches give up after
   * 5 attempts. Defaults { baseMs: 250, maxMs: 5000 }.
   */
  retry?: { baseMs: number; maxMs: number };
  signal?: AbortSignal;
  /** Receives {@link HlsEvent}s. If it throws, the read stops and rethrows that error. */
  onEvent?: (event: HlsEvent) => void;
  /** Optional CA bundle (PEM file path) for https; the system trust store when absent. */
  tlsCaFile?: string;
}

/** A playlist as {@link parsePlaylist} reads it; every URL is absolute and without fragment. */
export type ParsedPlaylist =
  | { kind: 'master'; variants: { url: string; bandwidth: number | null }[] }
  | {
      kind: 'media';
      targetDurationSec: number;
      mediaSequence: number;
      ended: boolean;
      segments: { url: string; durationSec: number; sequence: number }[];
    };

type MediaPlaylist = Extract<ParsedPlaylist, { kind: 'media' }>;
type Segment = MediaPlaylist['segments'][number];

/** Defaults and fixed limits of the reader. */
const HLS_LIMITS = {
  maxPlaylistBytes: 1024 * 1024,
  maxSegmentBytes: 64 * 1024 * 1024,
  /** Segments (or variants) one playlist may list; a live window is a handful, a 24 h VOD ~20 000 s / 6 s. */
  maxEntries: 10_000,
  /** Longest line accepted: URIs with signed tokens run to a few KiB, nothing legitimate to 32. */
  maxLineChars: 32 * 1024,
  /** Manual redirect hops per request. */
  maxRedirects: 3,
  /** Attempts per request before giving up, where giving up is allowed (VOD, start-up). */
  limitedAttempts: 5,
  /** Players start a live stream this many segments from its live edge. */
  liveStartSegments: 3,
  retry: { baseMs: 250, maxMs: 5000 },
} as const;

const REDIRECT_STATUS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
// The origin is overloaded, restarting or a proxy gave up: another try later can succeed.
const TRANSIENT_STATUS: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504]);
const TIMEOUT_CODES: ReadonlySet<string> = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * Parses the text of one HLS playlist (RFC 8216): a master playlist lists variants
 * (`#EXT-X-STREAM-INF`), a media playlist lists segments (`#EXTINF`). Relative URIs are resolved
 * against `baseUrl`; the sequence number of segment i is `#EXT-X-MEDIA-SEQUENCE` + i. Unknown
 * tags, `#EXT-X-DISCONTINUITY` and blank lines are ignored.
 *
 * @throws InputError INPUT_NOT_MEDIA when the text is not an HLS playlist (no leading `#EXTM3U`,
 *   a malformed tag or URI, a line over 32 KiB, master and media tags mixed).
 * @throws InputError INPUT_UNSUPPORTED for encrypted segments (`#EXT-X-KEY` with a METHOD other
 *   than NONE), fMP4 segments (`#EXT-X-MAP`), byte-range segments (`#EXT-X-BYTERANGE`), or more
 *   than 10 000 segments or variants.
 *
 * @example
 * const p = parsePlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\na.ts\n#EXT-X-ENDLIST\n',
 *   'https://cdn.example.com/live/index.m3u8');
 * // { kind: 'media', targetDurationSec: 6, mediaSequence: 0, ended: true,
 * //   segments: [{ url: 'https://cdn.example.com/live/a.ts', durationSec: 6, sequence: 0 }] }
 */
export function parsePlaylist(text: string, baseUrl: string): ParsedPlaylist {
  const where = displayUrl(baseUrl);
  const notPlaylist = (why: string) => new InputError('INPUT_NOT_MEDIA', `${where} is not a valid HLS playlist: ${why}`);
  const unsupported = (why: string) => new InputError('INPUT_UNSUPPORTED', `${where} ${why}`);
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  if (lines[0]?.trim().startsWith('#EXTM3U') !== true) throw notPlaylist('it does not start with #EXTM3U');

  const resolve = (uri: string): string => {
    try {
      const url = new URL(uri, baseUrl);
      url.hash = '';
      return url.href;
    } catch (cause) {
      throw new InputError('INPUT_NOT_MEDIA', `${where} is not a valid HLS playlist: it lists a malformed URI`, { cause });
    }
  };

  const variants: { url: string; bandwidth: number | null }[] = [];
  const segments: Segment[] = [];
  let targetDurationSec: number | null = null;
  let mediaSequence = 0;
  let ended = false;
  let pendingVariant: { bandwidth: number | null } | null = null;
  let pendingDuration: number | null = null;

  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line.length > HLS_LIMITS.maxLineChars) throw notPlaylist(`line ${i + 1} is longer than ${HLS_LIMITS.maxLineChars} characters`);
    if (line === '') continue;
    if (!line.startsWith('#')) {
      if (pendingVariant !== null) {
        if (variants.length >= HLS_LIMITS.maxEntries) throw unsupported(`lists more than ${HLS_LIMITS.maxEntries} variants`);
        variants.push({ url: resolve(line), bandwidth: pendingVariant.bandwidth });
        pendingVariant = null;
      } else if (pendingDuration !== null) {
        if (segments.length >= HLS_LIMITS.maxEntries) throw unsupported(`lists more than ${HLS_LIMITS.maxEntries} segments`);
        segments.push({ url: resolve(line), durationSec: pendingDuration, sequence: 0 });
        pendingDuration = null;
      } else {
        throw notPlaylist(`line ${i + 1} is a URI without a preceding #EXTINF or #EXT-X-STREAM-INF`);
      }
      continue;
    }
    if (!line.startsWith('#EXT')) continue; // a comment
    const colon = line.indexOf(':');
    const tag = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1);
    switch (tag) {
      case '#EXT-X-STREAM-INF': {
        const bandwidth = Number(parseAttributes(value).get('BANDWIDTH'));
        pendingVariant = { bandwidth: Number.isFinite(bandwidth) && bandwidth >= 0 ? bandwidth : null };
        break;
      }
      case '#EXTINF': {
        const duration = Number(value.split(',')[0].trim());
        if (!Number.isFinite(duration) || duration < 0) throw notPlaylist(`line ${i + 1} has a malformed #EXTINF duration`);
        pendingDuration = duration;
        break;
      }
      case '#EXT-X-TARGETDURATION': {
        const target = Number(value.trim());
        if (!Number.isFinite(target) || target < 0 || value.trim() === '') throw notPlaylist('#EXT-X-TARGETDURATION is malformed');
        targetDurationSec = target;
        break;
      }
      case '#EXT-X-MEDIA-SEQUENCE': {
        const sequence = Number(value.trim());
        if (!Number.isSafeInteger(sequence) || sequence < 0 || value.trim() === '') throw notPlaylist('#EXT-X-MEDIA-SEQUENCE is malformed');
        mediaSequence = sequence;
        break;
      }
      case '#EXT-X-ENDLIST':
        ended = true;
        break;
      case '#EXT-X-KEY': {
        const method = parseAttributes(value).get('METHOD') ?? '';
        if (method.toUpperCase() !== 'NONE') throw unsupported(`is encrypted (#EXT-X-KEY METHOD=${method || '?'}); encrypted HLS is not supported`);
        break;
      }
      case '#EXT-X-MAP':
        throw unsupported('uses fMP4 segments (#EXT-X-MAP); only MPEG-TS segments are supported');
      case '#EXT-X-BYTERANGE':
        throw unsupported('uses byte-range segments (#EXT-X-BYTERANGE), which are not supported');
      default:
        // #EXT-X-DISCONTINUITY, #EXT-X-VERSION, #EXT-X-PROGRAM-DATE-TIME, #EXT-X-MEDIA,
        // #EXT-X-I-FRAME-STREAM-INF and the like change nothing about which bytes to fetch.
        break;
    }
  }

  if (variants.length > 0 || pendingVariant !== null) {
    if (segments.length > 0 || pendingDuration !== null) throw notPlaylist('it mixes master (#EXT-X-STREAM-INF) and media (#EXTINF) tags');
    if (variants.length === 0) throw notPlaylist('its #EXT-X-STREAM-INF has no URI');
    return { kind: 'master', variants };
  }
  segments.forEach((segment, index) => {
    segment.sequence = mediaSequence + index;
  });
  // #EXT-X-TARGETDURATION is mandatory, but a missing one is easy to stand in for: it is the
  // longest segment rounded up.
  const fallbackTarget = Math.max(1, Math.ceil(Math.max(0, ...segments.map((s) => s.durationSec))));
  return { kind: 'media', targetDurationSec: targetDurationSec ?? fallbackTarget, mediaSequence, ended, segments };
}

/**
 * Reads an HLS stream segment by segment: fetches the playlist (the first variant of a master
 * playlist: the publisher lists its default first, and a monitor should check what viewers get
 * by default), then each media segment in order, each once.
 *
 * - VOD (or a playlist carrying `#EXT-X-ENDLIST`): every segment from the first, then 'ended'.
 * - Live: starts 3 segments from the live edge, as players do, and re-fetches the playlist about
 *   every quarter target duration (0.25–2 s) while nothing new appears; runs until `signal` aborts. A
 *   media sequence that goes backwards (encoder restart) restarts from the new live edge.
 * - Every URL passes `checkUrl` right before it is requested; redirects are followed by hand
 *   (at most 3 hops), each target checked too.
 * - Segments are fetched when the consumer asks for the next one, so a slow consumer slows the
 *   reader down instead of filling memory; time spent waiting for the consumer does not count
 *   towards a stall.
 *
 * Each iteration of the returned iterable is a new, independent read.
 *
 * @throws ConfigError at call time when an option is out of range.
 * @throws (from the iterator) whatever `checkUrl` throws, as is; CancelledError once `signal`
 *   aborts; InputError INPUT_NOT_FOUND for an HTTP error on the playlist at start (the status is
 *   in the message), a non-transient HTTP error later, too many redirects, or a transient failure
 *   given up on (VOD, start-up); SourceTimeoutError for a request that timed out on its last
 *   attempt; SourceRejectedError (reason `size`) for a body over its cap; everything
 *   {@link parsePlaylist} throws; and whatever `onEvent` throws.
 *
 * @example
 * const controller = new AbortController();
 * const segments = readHls({
 *   playlistUrl: 'https://cdn.example.com/live/index.m3u8',
 *   checkUrl: async (url) => { await validateSource(url, { allowLocalFiles: false, allowPrivateSources: false }); },
 *   ioTimeoutSec: 15,
 *   signal: controller.signal,
 *   onEvent: (e) => { if (e.type === 'stalled') log.warn(e, 'live stream stalled'); },
 * });
 * for await (const ts of segments) ffmpeg.stdin.write(ts);
 */
export function readHls(options: HlsReaderOptions): AsyncIterable<Buffer> {
  const settings = resolveSettings(options);
  return {
    [Symbol.asyncIterator]: () => readSegments(settings),
  };
}

interface ReaderSettings {
  playlistUrl: string;
  checkUrl: (url: string) => Promise<readonly string[] | void>;
  ioTimeoutMs: number;
  maxPlaylistBytes: number;
  maxSegmentBytes: number;
  stallMs: number | null;
  retry: { baseMs: number; maxMs: number };
  signal?: AbortSignal;
  onEvent?: (event: HlsEvent) => void;
  tlsCaFile?: string;
}

function resolveSettings(options: HlsReaderOptions): ReaderSettings {
  const positive = (value: number | undefined, name: string): void => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new ConfigError(`hls: ${name} must be a positive number`);
  };
  if (typeof options.playlistUrl !== 'string' || options.playlistUrl === '') throw new ConfigError('hls: playlistUrl is required');
  if (typeof options.checkUrl !== 'function') throw new ConfigError('hls: checkUrl is required');
  positive(options.ioTimeoutSec, 'ioTimeoutSec');
  if (options.ioTimeoutSec === undefined) throw new ConfigError('hls: ioTimeoutSec is required');
  positive(options.maxPlaylistBytes, 'maxPlaylistBytes');
  positive(options.maxSegmentBytes, 'maxSegmentBytes');
  positive(options.stallSec, 'stallSec');
  const retry = options.retry ?? HLS_LIMITS.retry;
  positive(retry.baseMs, 'retry.baseMs');
  positive(retry.maxMs, 'retry.maxMs');
  return {
    playlistUrl: options.playlistUrl,
    checkUrl: options.checkUrl,
    ioTimeoutMs: options.ioTimeoutSec * 1000,
    maxPlaylistBytes: options.maxPlaylistBytes ?? HLS_LIMITS.maxPlaylistBytes,
    maxSegmentBytes: options.maxSegmentBytes ?? HLS_LIMITS.maxSegmentBytes,
    stallMs: options.stallSec === undefined ? null : options.stallSec * 1000,
    retry: { baseMs: retry.baseMs, maxMs: Math.max(retry.baseMs, retry.maxMs) },
    signal: options.signal,
    onEvent: options.onEvent,
    tlsCaFile: options.tlsCaFile,
  };
}

async function* readSegments(settings: ReaderSettings): AsyncGenerator<Buffer, void, undefined> {
  const session = new HlsSession(settings);
  try {
    yield* session.run();
  } finally {
    await session.close();
  }
}

/**
 * A failure worth another attempt; `error` is what the caller sees once attempts run out.
 * Never leaves this module.
 */
class TransientFailure extends Error {
  override readonly name = 'TransientFailure';
  constructor(readonly error: FramewatchError) {
    super(error.message, { cause: error });
  }
}

type Fetched = { kind: 'body'; body: Buffer } | { kind: 'redirect'; location: string };

/** The callback of a `net.connect` `lookup`: one address, or all of them when `options.all`. */
type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A URL hostname as `net.connect` passes it to `lookup`: IPv6 without brackets, lower case. */
function hostKey(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/** One read of one stream: its HTTP agent, timers and progress. */
class HlsSession {
  private readonly stop = new AbortController();
  private listenerError: { error: unknown } | null = null;
  private agent: Agent | null = null;
  private stallTimer: NodeJS.Timeout | undefined;
  private stallMs = 2000;
  /** When the last new segment arrived (or reading began), `performance.now()`. */
  private progressAt = 0;
  private stalledSince: number | null = null;
  /** When each listed segment first appeared in a fetched playlist, by sequence number. */
  private readonly firstSeen = new Map<number, number>();
  /** The addresses `checkUrl` last checked for each hostname: the only ones connected to. */
  private readonly pinned = new Map<string, readonly string[]>();
  private readonly onAbort = () => this.stop.abort();

  constructor(private readonly settings: ReaderSettings) {
    if (settings.signal?.aborted) this.stop.abort();
    else settings.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  async *run(): AsyncGenerator<Buffer, void, undefined> {
    this.throwIfStopped();
    this.agent = await this.createAgent();

    const start = await this.openMediaPlaylist();
    const mediaUrl = start.url;
    let playlist = start.playlist;
    let live = !playlist.ended;
    let lastMediaSequence = playlist.mediaSequence;
    let nextSeq = playlist.mediaSequence;
    let started = false;
    // Live failures of one segment, retried through a playlist re-fetch so that a segment that
    // rolled off the window is noticed and skipped instead of being asked for forever.
    let failing: { sequence: number; attempts: number } | null = null;
    this.progressAt = performance.now();

    for (;;) {
      this.notePlaylist(mediaUrl, playlist);
      if (!started && (!live || playlist.segments.length > 0)) {
        started = true;
        nextSeq = live ? liveStart(playlist) : playlist.mediaSequence;
      }
      this.armStall();

      let progressed = false;
      let backedOff = false;
      for (const segment of playlist.segments) {
        if (segment.sequence < nextSeq) continue;
        if (live && started && segment.sequence > nextSeq) {
          // The consumer could not keep up with the live edge: say so rather than skip silently.
          this.emit({ type: 'skipped', fromSequence: nextSeq, count: segment.sequence - nextSeq });
          nextSeq = segment.sequence;
        }
        const bytes = live ? await this.tryLiveSegment(segment) : await this.fetchVodSegment(segment);
        if (bytes instanceof TransientFailure) {
          const attempts: number = failing?.sequence === segment.sequence ? failing.attempts + 1 : 1;
          failing = { sequence: segment.sequence, attempts };
          await this.backOff(segment.url, attempts, bytes);
          backedOff = true;
          break;
        }
        failing = null;
        nextSeq = segment.sequence + 1;
        progressed = true;
        this.noteNewSegment();
        this.emit({
          type: 'segment',
          url: displayUrl(segment.url),
          sequence: segment.sequence,
          durationSec: segment.durationSec,
          bytes: bytes.length,
          publishedAtMs: this.firstSeen.get(segment.sequence) ?? performance.now(),
        });
        this.disarmStall();
        yield bytes;
        // The consumer held us: that time is not the source's fault.
        this.throwIfStopped();
        this.progressAt = performance.now();
        this.armStall();
      }

      if (playlist.ended && !backedOff) {
        const last = playlist.segments.at(-1);
        if (last === undefined || nextSeq > last.sequence) {
          this.disarmStall();
          this.emit({ type: 'ended' });
          return;
        }
      }
      if (!progressed && !backedOff) await this.sleep(pollDelayMs(playlist.targetDurationSec));

      const next = await this.fetchMediaPlaylist(mediaUrl, live);
      if (next.mediaSequence < lastMediaSequence) {
        // The encoder restarted and numbers from scratch: old sequence numbers mean nothing now.
        this.firstSeen.clear();
        started = false;
        failing = null;
      }
      lastMediaSequence = next.mediaSequence;
      playlist = next;
      live = !playlist.ended;
    }
  }

  /** Releases timers, the abort listener and every connection. Safe to call more than once. */
  async close(): Promise<void> {
    this.disarmStall();
    this.settings.signal?.removeEventListener('abort', this.onAbort);
    const agent = this.agent;
    this.agent = null;
    await agent?.destroy();
  }

  private async createAgent(): Promise<Agent> {
    let ca: Buffer | undefined;
    if (this.settings.tlsCaFile !== undefined) {
      try {
        ca = await readFile(this.settings.tlsCaFile);
      } catch (cause) {
        throw new ConfigError('hls: tlsCaFile cannot be read', { cause });
      }
    }
    const io = this.settings.ioTimeoutMs;
    // undici follows no redirect unless a redirect interceptor is installed; none is, so every
    // 3xx comes back to fetchOnce and is checked before it is followed.
    return new Agent({
      connect: { timeout: io, lookup: this.pinnedLookup, ...(ca === undefined ? {} : { ca }) },
      headersTimeout: io,
      bodyTimeout: io,
    });
  }

  /**
   * `net.connect`'s `lookup` for this session's agent: a hostname `checkUrl` checked resolves to
   * the addresses it checked, never to a fresh DNS answer. A hostname it returned no addresses
   * for (a caller that does not pin) is resolved by DNS as usual.
   */
  private readonly pinnedLookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const addresses = this.pinned.get(hostKey(hostname));
    if (!addresses || addresses.length === 0) {
      dnsLookup(hostname, options, callback);
      return;
    }
    const entries: LookupAddress[] = addresses.map((address) => ({ address, family: isIP(address) }));
    if (options.all) return callback(null, entries);
    const first = entries.find((e) => !options.family || e.family === options.family) ?? (entries[0] as LookupAddress);
    callback(null, first.address, first.family);
  };

  /** The media playlist to poll: the given one, or the first variant of a master playlist. */
  private async openMediaPlaylist(): Promise<{ url: string; playlist: MediaPlaylist }> {
    const topUrl = this.settings.playlistUrl;
    const top = await this.fetchPlaylist(topUrl, false);
    if (top.kind === 'media') return { url: topUrl, playlist: top };
    // The first variant, not the cheapest: the publisher's default is what most viewers get.
    const variantUrl = top.variants[0].url;
    const variant = await this.fetchPlaylist(variantUrl, false);
    if (variant.kind === 'master') {
      throw new InputError('INPUT_UNSUPPORTED', `${displayUrl(variantUrl)} is a master playlist inside a master playlist, which is not supported`);
    }
    return { url: variantUrl, playlist: variant };
  }

  private async fetchMediaPlaylist(url: string, live: boolean): Promise<MediaPlaylist> {
    const playlist = await this.fetchPlaylist(url, live);
    if (playlist.kind === 'master') {
      throw new InputError('INPUT_NOT_MEDIA', `${displayUrl(url)} turned from a media playlist into a master playlist`);
    }
    return playlist;
  }

  /** Fetches and parses a playlist, retrying transient failures (without limit when `live`). */
  private async fetchPlaylist(url: string, live: boolean): Promise<ParsedPlaylist> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { body, finalUrl } = await this.fetchBody(url, this.settings.maxPlaylistBytes, live);
        // Relative URIs resolve against where the playlist really came from, as players do.
        return parsePlaylist(body.toString('utf8'), finalUrl);
      } catch (err) {
        if (!(err instanceof TransientFailure)) throw err;
        if (!live && attempt >= HLS_LIMITS.limitedAttempts) throw err.error;
        await this.backOff(url, attempt, err);
      }
    }
  }

  private async fetchVodSegment(segment: Segment): Promise<Buffer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.fetchBody(segment.url, this.settings.maxSegmentBytes, false)).body;
      } catch (err) {
        if (!(err instanceof TransientFailure)) throw err;
        if (attempt >= HLS_LIMITS.limitedAttempts) throw err.error;
        await this.backOff(segment.url, attempt, err);
      }
    }
  }

  /** One attempt at a live segment; a transient failure is returned for the caller to back off. */
  private async tryLiveSegment(segment: Segment): Promise<Buffer | TransientFailure> {
    try {
      return (await this.fetchBody(segment.url, this.settings.maxSegmentBytes, true)).body;
    } catch (err) {
      if (err instanceof TransientFailure) return err;
      throw err;
    }
  }

  /**
   * GETs a URL, following up to 3 redirects by hand; every URL is checked right before its
   * request. `live` makes 404/410 transient (a live origin briefly missing a file, a segment
   * that rolled off).
   */
  private async fetchBody(url: string, cap: number, live: boolean): Promise<{ body: Buffer; finalUrl: string }> {
    let current = url;
    for (let hop = 0; ; hop++) {
      await this.check(current, live);
      const fetched = await this.fetchOnce(current, cap, live);
      if (fetched.kind === 'body') return { body: fetched.body, finalUrl: current };
      if (hop >= HLS_LIMITS.maxRedirects) {
        throw new InputError('INPUT_NOT_FOUND', `${displayUrl(url)} redirects more than ${HLS_LIMITS.maxRedirects} times`);
      }
      let next: URL;
      try {
        next = new URL(fetched.location, current);
      } catch (cause) {
        throw new InputError('INPUT_NOT_FOUND', `${displayUrl(current)} redirects to a malformed URL`, { cause });
      }
      next.hash = '';
      current = next.href;
    }
  }

  private async check(url: string, live: boolean): Promise<void> {
    // Whatever checkUrl throws is the caller's verdict on this URL: passed on as is, never
    // retried, except that a live stream already running rides out a name that cannot be resolved
    // for a while (a DNS hiccup) like any other transient failure, with back-off.
    let checked: readonly string[] | void;
    try {
      checked = await this.settings.checkUrl(url);
    } catch (err) {
      if (live && !this.stop.signal.aborted && err instanceof FramewatchError && (err.code === 'INPUT_NOT_FOUND' || err.code === 'SOURCE_TIMEOUT')) {
        throw new TransientFailure(err);
      }
      throw err;
    }
    this.throwIfStopped();
    if (checked && checked.length > 0) {
      try {
        this.pinned.set(hostKey(new URL(url).hostname), checked);
      } catch {
        // Not a URL: refused just below.
      }
    }
    // Defence in depth: even a lenient checkUrl never makes us speak anything but http(s).
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch (cause) {
      throw new SourceRejectedError(`${displayUrl(url)} is not a valid URL`, { cause, detail: { reason: 'syntax' } });
    }
    if (protocol !== 'http:' && protocol !== 'https:') {
      throw new SourceRejectedError(`${displayUrl(url)}: the "${protocol}" scheme is not allowed in HLS`, { detail: { reason: 'scheme' } });
    }
  }

  /** One request, one response; the timer covers connecting, headers and the whole body. */
  private async fetchOnce(url: string, cap: number, live: boolean): Promise<Fetched> {
    const shown = displayUrl(url);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.settings.ioTimeoutMs);
    const onStop = () => controller.abort();
    this.stop.signal.addEventListener('abort', onStop, { once: true });
    const transport = (err: unknown): Error => {
      if (this.stop.signal.aborted) return this.stopError();
      const code = systemErrorCode(err);
      if (timedOut || (code !== undefined && TIMEOUT_CODES.has(code))) {
        return new TransientFailure(
          new SourceTimeoutError(`${shown} sent no complete answer within ${this.settings.ioTimeoutMs / 1000} s`, { cause: err }),
        );
      }
      const reason = code ?? (err instanceof Error ? err.message : String(err));
      return new TransientFailure(new InputError('INPUT_NOT_FOUND', `${shown} could not be read (${reason})`, { cause: err }));
    };
    try {
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(url, { method: 'GET', dispatcher: this.agent ?? undefined, signal: controller.signal });
      } catch (err) {
        throw transport(err);
      }
      const status = res.statusCode;
      if (status < 200 || status > 299) {
        await res.body.dump().catch(() => undefined);
        const location = res.headers['location'];
        if (REDIRECT_STATUS.has(status) && typeof location === 'string' && location !== '') return { kind: 'redirect', location };
        throw statusFailure(shown, status, live);
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > cap) {
        // Destroying an unread body emits an abort error nobody else listens for.
        res.body.on('error', () => undefined).destroy();
        throw tooLarge(shown, cap);
      }
      const chunks: Buffer[] = [];
      let total = 0;
      try {
        for await (const chunk of res.body) {
          const buf = chunk as Buffer;
          total += buf.length;
          // Leaving the loop destroys the body, which closes the connection mid-transfer.
          if (total > cap) throw tooLarge(shown, cap);
          chunks.push(buf);
        }
      } catch (err) {
        if (err instanceof SourceRejectedError) throw err;
        throw transport(err);
      }
      return { kind: 'body', body: Buffer.concat(chunks, total) };
    } finally {
      clearTimeout(timer);
      this.stop.signal.removeEventListener('abort', onStop);
    }
  }

  private async backOff(url: string, attempt: number, failure: TransientFailure): Promise<void> {
    const { baseMs, maxMs } = this.settings.retry;
    // "Equal jitter", as the repo's other retry loops: half fixed so it grows, half random so that
    // many monitors of one origin do not retry in step.
    const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
    const delayMs = Math.round(cap / 2 + Math.random() * (cap / 2));
    this.emit({ type: 'retry', url: displayUrl(url), attempt, delayMs, error: failure.error.message });
    await this.sleep(delayMs);
  }

  private notePlaylist(url: string, playlist: MediaPlaylist): void {
    const now = performance.now();
    for (const sequence of this.firstSeen.keys()) {
      if (sequence < playlist.mediaSequence) this.firstSeen.delete(sequence);
    }
    for (const segment of playlist.segments) {
      if (!this.firstSeen.has(segment.sequence)) this.firstSeen.set(segment.sequence, now);
    }
    if (this.settings.stallMs === null) this.stallMs = Math.max(2, 3 * playlist.targetDurationSec) * 1000;
    else this.stallMs = this.settings.stallMs;
    this.emit({
      type: 'playlist',
      url: displayUrl(url),
      live: !playlist.ended,
      targetDurationSec: playlist.targetDurationSec,
      mediaSequence: playlist.mediaSequence,
    });
  }

  private noteNewSegment(): void {
    const now = performance.now();
    if (this.stalledSince !== null) {
      const stalledFor = now - this.stalledSince;
      this.stalledSince = null;
      this.emit({ type: 'resumed', stalledForMs: Math.round(stalledFor) });
    }
    this.progressAt = now;
  }

  /** (Re)starts the stall timer from the last progress; a no-op while a stall is already reported. */
  private armStall(): void {
    this.disarmStall();
    if (this.stalledSince !== null || this.stop.signal.aborted) return;
    const dueIn = Math.max(0, this.progressAt + this.stallMs - performance.now());
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      this.stalledSince = this.progressAt;
      try {
        this.emit({ type: 'stalled', sinceMs: this.progressAt });
      } catch {
        // Kept by emit and already stopping the read; the iterator throws it.
      }
    }, dueIn);
  }

  private disarmStall(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  /** Waits, or throws as soon as the read is stopped. */
  private sleep(ms: number): Promise<void> {
    this.throwIfStopped();
    return new Promise((resolve, reject) => {
      const onStop = () => {
        clearTimeout(timer);
        reject(this.stopError());
      };
      const timer = setTimeout(() => {
        this.stop.signal.removeEventListener('abort', onStop);
        resolve();
      }, ms);
      this.stop.signal.addEventListener('abort', onStop, { once: true });
    });
  }

  /**
   * Delivers an event. A listener that throws stops the read: its error is kept, in-flight
   * requests and waits are aborted, and the iterator throws that error.
   */
  private emit(event: HlsEvent): void {
    if (this.settings.onEvent === undefined || this.listenerError !== null) return;
    try {
      this.settings.onEvent(event);
    } catch (error) {
      this.listenerError = { error };
      this.stop.abort();
      throw error;
    }
  }

  private throwIfStopped(): void {
    if (this.stop.signal.aborted) throw this.stopError();
  }

  private stopError(): Error {
    if (this.listenerError !== null) return this.listenerError.error as Error;
    return new CancelledError('HLS reading cancelled');
  }
}

/** Where a live stream starts: 3 segments from its live edge. */
function liveStart(playlist: MediaPlaylist): number {
  const { segments } = playlist;
  if (segments.length === 0) return playlist.mediaSequence;
  return segments[Math.max(0, segments.length - HLS_LIMITS.liveStartSegments)].sequence;
}

/**
 * A quarter of a target duration, within 0.25–2 s: a new segment is seen at most that long after
 * it appears (alert latency, `npm run bench:live`), for one small request per poll.
 */
function pollDelayMs(targetDurationSec: number): number {
  return Math.min(2000, Math.max(250, (targetDurationSec * 1000) / 4));
}

function statusFailure(shown: string, status: number, live: boolean): Error {
  if (TRANSIENT_STATUS.has(status)) {
    return new TransientFailure(new InputError('INPUT_NOT_FOUND', `${shown} could not be read (HTTP ${status})`, { detail: { status } }));
  }
  if ((status === 404 || status === 410) && live) {
    return new TransientFailure(new InputError('INPUT_NOT_FOUND', `${shown} was not found (HTTP ${status})`, { detail: { status } }));
  }
  const what = status === 404 || status === 410 ? 'was not found' : 'could not be read';
  return new InputError('INPUT_NOT_FOUND', `${shown} ${what} (HTTP ${status})`, { detail: { status } });
}

function tooLarge(shown: string, cap: number): SourceRejectedError {
  return new SourceRejectedError(`${shown} is larger than the limit of ${cap} bytes`, { detail: { reason: 'size', limitBytes: cap } });
}

/** A URL as messages and events show it: no credentials, no query, no fragment. */
function displayUrl(url: string): string {
  return redactUrls(url.split('#')[0]);
}

/** Reads an attribute list (`BANDWIDTH=1280000,CODECS="avc1.4d401f,mp4a.40.2"`). */
function parseAttributes(text: string): Map<string, string> {
  const attributes = new Map<string, string>();
  const pattern = /([A-Za-z0-9-]+)\s*=\s*("[^"]*"|[^,]*)/g;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const raw = match[2].trim();
    attributes.set(match[1].toUpperCase(), raw.startsWith('"') ? raw.slice(1, -1) : raw);
  }
  return attributes;
}
