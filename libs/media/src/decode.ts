/**
 * Decoding a source into FrameBatches with one ffmpeg process.
 *
 * Process layout: a single ffmpeg demuxes and decodes the input once and writes luma frames to
 * stdout and float PCM to fd 3. Compared with one process per stream (fluent-ffmpeg's one output
 * pipe), a network source is fetched once instead of twice, both streams share one demuxer and
 * timeline, and the input is demuxed once; the cost is that the two pipes must both be read while
 * ffmpeg runs, since a blocked pipe stalls the other stream too. Buffering between the streams is
 * bounded by the BatchAssembler's lag limits. Measured on 60 s of 720p25 H.264 + AAC, one process
 * costs the same CPU as a video process plus an audio process (2.8 s either way, within noise).
 * fluent-ffmpeg is not used: it exposes no handle to kill its ffprobe (no abort, no wall clock)
 * and keeps binary paths in a module-level cache shared by every converter.
 *
 * Back-pressure: at most `maxQueuedBatches` finished batches wait for the consumer; beyond that
 * both pipes are paused, ffmpeg blocks on its next write and stops reading the input.
 */
import { performance } from 'node:perf_hooks';
import type { Readable, Writable } from 'node:stream';
import { CancelledError, FramewatchError, InputError, SourceRejectedError, SourceTimeoutError, UsageError, toFramewatchError } from '@framewatch/errors';
import { PixelFormat } from '@framewatch/frame-codec';
import type { FrameBatch, VideoFrame } from '@framewatch/frame-codec';
import type { DecodeOptions, DecodeSpec, SourceRef } from '@framewatch/pipeline';
import { DECODE_FDS, buildDecodeArgs } from './args';
import type { DecodeArgsPlan, FfmpegInput, PipedInput } from './args';
import { BatchAssembler } from './batcher';
import { spawnFailure, spawnManaged } from './child';
import { DecoderReportLedger, ReportHold } from './decoder-reports';
import type { ChildExit, ManagedChild } from './child';
import { classifyFfmpegFailure, errorLevelLine, redactUrls } from './errors';
import { AudioChunker, FrameSplitter } from './pcm';
import { readHls } from './hls';
import { probeSegment, probeSource } from './probe';
import type { ProbedMedia } from './probe';
import type { ConverterSettings } from './settings';
import { classifyAddress, validateSource } from '@framewatch/source-rules';
import type { SourceRules, ValidatedLiveSource, ValidatedSource, ValidatedUrlSource } from '@framewatch/source-rules';
import { claimLive } from './live';
import { AUDIO_ONLY_UNIT_RATE, rationalValue, unitTime } from './timeline';
import type { Rational } from './timeline';

/** Tuning of the decode loop; fixed, since none of it is a product decision. */
export const DECODE_TUNING = {
  /** Finished batches waiting for the consumer before the pipes are paused. */
  maxQueuedBatches: 2,
  /** Media seconds one stream may run ahead of the other before batches are released without it. */
  maxLagSec: 5,
  /** Bytes held in unreleased batches before they are released without the lagging stream. */
  maxPendingBytes: 128 * 1024 * 1024,
  /** SIGTERM → SIGKILL grace when stopping ffmpeg. */
  killGraceMs: 1000,
  /**
   * A live decoder silent this long has decoded all it was given (a segment, a burst): what it
   * produced of the current batch is released then, rather than when the next segment arrives.
   * Longer than the 40 ms between two frames of a continuous stream (UDP, SRT), whose batches
   * therefore stay whole.
   */
  liveFlushAfterMs: 200,
  /** How often a live decode checks for that. */
  liveFlushCheckMs: 50,
} as const;

// Pixel formats whose first plane is luma, where extractplanes=y avoids a colour conversion.
const planarLumaFormat = /^(yuv|yuvj|yuva|gray|nv|p0|p2|p4)/;

/** A decode fully planned: what ffmpeg writes, and the timeline of the batches. */
export interface DecodePlan {
  args: DecodeArgsPlan;
  /** Units (frames / audio chunk slots) per second. */
  unitRate: Rational;
  framesPerBatch: number;
}

/**
 * Works out the output geometry from the probe and the spec: video at the spec's size
 * (0×0 = source size; one side 0 = keep the aspect ratio), audio at the spec's rate and layout,
 * each only when both the spec asks for it and the source has it.
 *
 * @throws UsageError when the spec is malformed.
 */
export function planDecode(probed: ProbedMedia, spec: DecodeSpec, maxFramePixels: number): DecodePlan {
  if (!Number.isInteger(spec.framesPerBatch) || spec.framesPerBatch < 1) {
    throw new UsageError('framesPerBatch must be a positive integer');
  }
  let video: DecodeArgsPlan['video'] = null;
  if (spec.video && probed.video) {
    const { width: w, height: h } = spec.video;
    if (!Number.isInteger(w) || !Number.isInteger(h) || w < 0 || h < 0) {
      throw new UsageError('video width and height must be non-negative integers');
    }
    const source = probed.video;
    let width = w;
    let height = h;
    if (w === 0 && h === 0) {
      width = source.width;
      height = source.height;
    } else if (w === 0) {
      width = Math.max(2, 2 * Math.round((h * source.width) / source.height / 2));
    } else if (h === 0) {
      height = Math.max(2, 2 * Math.round((w * source.height) / source.width / 2));
    }
    if (width * height > maxFramePixels) {
      throw new UsageError(`a ${width}×${height} luma plane exceeds the limit of ${maxFramePixels} pixels`);
    }
    video = {
      streamIndex: source.index,
      width,
      height,
      fps: source.fps,
      extractLuma: source.pixFmt !== null && planarLumaFormat.test(source.pixFmt),
      // Unless asked for, reduced luma skips deblocking; full resolution is always deblocked.
      deblocked: spec.video.deblocked === true || (width === source.width && height === source.height),
      decoderReports: spec.video.decoderReports === true,
    };
  }
  let audio: DecodeArgsPlan['audio'] = null;
  if (spec.audio && probed.audio) {
    const { sampleRate, channels } = spec.audio;
    if (!Number.isInteger(sampleRate) || sampleRate < 1000 || sampleRate > 384_000) {
      throw new UsageError('audio sampleRate must be an integer between 1000 and 384000');
    }
    if (!Number.isInteger(channels) || channels < 1 || channels > 16) {
      throw new UsageError('audio channels must be an integer between 1 and 16');
    }
    audio = { streamIndex: probed.audio.index, sampleRate, channels };
  }
  // Audio chunks last one video frame whenever the source has video, even if video is not
  // decoded, so that scores of both kinds line up frame by frame.
  const unitRate = probed.video ? probed.video.fps : AUDIO_ONLY_UNIT_RATE;
  return { args: { video, audio }, unitRate, framesPerBatch: spec.framesPerBatch };
}

/**
 * Validates, probes and decodes a source; the generator behind `MediaConverter.decode`.
 * Leaving the loop early (break, throw) or aborting the signal stops ffmpeg and reaps it.
 *
 * @throws everything {@link validateSource} and {@link probeSource} throw; CancelledError on
 *   abort; SourceTimeoutError when no output arrives for `ioTimeoutSec` or after `maxWallSec`;
 *   INPUT_TRUNCATED (or a more specific code) when ffmpeg fails before producing anything.
 */
export async function* decodeSource(
  settings: ConverterSettings,
  source: SourceRef,
  spec: DecodeSpec,
  options: DecodeOptions,
): AsyncGenerator<FrameBatch, void, undefined> {
  const startedAt = performance.now();
  const { signal, streamId } = options;
  if (signal?.aborted) throw new CancelledError();
  const validated = await validateSource(source, sourceRules(settings));
  if (signal?.aborted) throw new CancelledError();
  if (validated.kind === 'udp' || validated.kind === 'srt') {
    yield* decodeLive(settings, source.url, validated, spec, options);
    return;
  }
  if (isHlsSource(validated)) {
    yield* decodeHls(settings, validated, spec, options, startedAt);
    return;
  }
  const probed = await probeSource(settings, validated, signal);
  const plan = planDecode(probed, spec, settings.maxFramePixels);
  if (!plan.args.video && !plan.args.audio) {
    // Nothing asked for exists in this source: the stream is complete as soon as it starts.
    yield { streamId, seq: 0, startSec: 0, endSec: 0, video: [], audio: [], final: true };
    return;
  }
  const wallLeftMs = settings.maxWallSec * 1000 - (performance.now() - startedAt);
  const session = new DecodeSession(settings, validated, plan, streamId, wallLeftMs, signal);
  try {
    for (;;) {
      const batch = await session.next();
      if (batch === null) return;
      yield batch;
    }
  } finally {
    await session.close();
  }
}

/** The input rules the converter applies to every URL it is given or finds in a playlist. */
export function sourceRules(settings: ConverterSettings): SourceRules {
  return {
    allowLocalFiles: settings.allowLocalFiles,
    allowPrivateSources: settings.allowPrivateSources,
    allowUdpSources: settings.allowUdpSources,
    lookup: settings.lookup,
    lookupTimeoutSec: settings.ioTimeoutSec,
  };
}

/** True for an http(s) URL whose path names an HLS playlist (`….m3u8`). */
export function isHlsSource(source: ValidatedSource): source is ValidatedUrlSource {
  return source.kind === 'url' && /\.m3u8$/i.test(new URL(source.ffmpegInput).pathname);
}

/**
 * Decodes an HLS playlist: Framewatch reads the playlist and its segments itself (every URL
 * checked against the input rules first, see `readHls`) and pipes the MPEG-TS segments into one
 * ffmpeg. The first segment is probed on its own. A live playlist has no end: the decode runs
 * until the signal aborts, without the duration, wall-clock or idle limits of a file.
 */
async function* decodeHls(
  settings: ConverterSettings,
  validated: ValidatedUrlSource,
  spec: DecodeSpec,
  options: DecodeOptions,
  startedAt: number,
): AsyncGenerator<FrameBatch, void, undefined> {
  const { signal, streamId } = options;
  const reader = openHls(settings, validated, signal, options.onSourceEvent);
  const segments = reader.segments;
  let session: DecodeSession | null = null;
  try {
    const first = await segments.next();
    if (first.done) {
      yield { streamId, seq: 0, startSec: 0, endSec: 0, video: [], audio: [], final: true };
      return;
    }
    const input: PipedInput = { kind: 'pipe', format: 'mpegts', live: reader.live(), display: validated.display };
    const probed = await probeSegment(settings, input, first.value, signal);
    const plan = planDecode(probed, spec, settings.maxFramePixels);
    if (!plan.args.video && !plan.args.audio) {
      yield { streamId, seq: 0, startSec: 0, endSec: 0, video: [], audio: [], final: true };
      return;
    }
    const feed = async (stdin: Writable): Promise<void> => {
      await writeChunk(stdin, first.value);
      for (;;) {
        const next = await segments.next();
        if (next.done) break;
        await writeChunk(stdin, next.value);
      }
      stdin.end();
    };
    const wallLeftMs = input.live ? Infinity : settings.maxWallSec * 1000 - (performance.now() - startedAt);
    session = new DecodeSession(settings, input, plan, streamId, wallLeftMs, signal, feed);
    for (;;) {
      const batch = await session.next();
      if (batch === null) return;
      yield batch;
    }
  } finally {
    reader.stop();
    await session?.close();
    await segments.return?.().catch(() => undefined);
  }
}

/**
 * Decodes a live `udp://` or `srt://` MPEG-TS stream: Framewatch receives the bytes itself (see
 * `./live`; the source the probe left open, or a new one probed now) and pipes all of them, the
 * probed ones first, into one ffmpeg that has only the `pipe` protocol. Like live HLS it has no
 * duration, wall-clock or idle limit: it runs until the signal aborts; a silent source is
 * reported through `stalled` and `resumed` events instead (an SRT connection is called again
 * meanwhile).
 */
async function* decodeLive(
  settings: ConverterSettings,
  url: string,
  validated: ValidatedLiveSource,
  spec: DecodeSpec,
  options: DecodeOptions,
): AsyncGenerator<FrameBatch, void, undefined> {
  const { signal, streamId } = options;
  const { live, probed } = await claimLive(settings, url, validated, options.onSourceEvent, signal);
  let session: DecodeSession | null = null;
  try {
    if (signal?.aborted) throw new CancelledError();
    const plan = planDecode(probed, spec, settings.maxFramePixels);
    if (!plan.args.video && !plan.args.audio) {
      yield { streamId, seq: 0, startSec: 0, endSec: 0, video: [], audio: [], final: true };
      return;
    }
    const feed = async (stdin: Writable): Promise<void> => {
      for (;;) {
        const bytes = await live.queue.take();
        if (bytes === null) break;
        await writeChunk(stdin, bytes);
      }
      stdin.end();
    };
    session = new DecodeSession(settings, live.input, plan, streamId, Infinity, signal, feed);
    for (;;) {
      const batch = await session.next();
      if (batch === null) return;
      yield batch;
    }
  } finally {
    // The socket or the reader first, so nothing new is fed to a decoder being stopped.
    await live.close();
    await session?.close();
  }
}

/** An HLS playlist being read: its segments, whether it is live (known after the first fetch), and a stop. */
interface OpenHls {
  segments: AsyncIterator<Buffer>;
  live(): boolean;
  stop(): void;
}

/**
 * Starts reading an HLS playlist with the converter's input rules applied to every URL, plus
 * one more: even where internal addresses are allowed (loopback tests, a private CDN), a
 * playlist cannot send Framewatch to another internal service, only to its own origin.
 */
function openHls(settings: ConverterSettings, validated: ValidatedUrlSource, signal: AbortSignal | undefined, onSourceEvent?: DecodeOptions['onSourceEvent']): OpenHls {
  // Stops the reader when the caller is done for any reason, not only on the caller's abort.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let live = false;
  const rules = sourceRules(settings);
  const origin = new URL(validated.ffmpegInput).origin;
  const segments = readHls({
    playlistUrl: validated.ffmpegInput,
    checkUrl: async (url) => {
      const target = await validateSource({ url }, rules);
      if (target.kind === 'url' && new URL(url).origin !== origin && target.addresses.some((a) => classifyAddress(a) !== null)) {
        throw new SourceRejectedError(`${validated.display} points at ${target.display}, an internal address outside the playlist's origin`);
      }
      // The reader connects to these addresses only: no second DNS answer in between (rebinding).
      return target.kind === 'url' ? target.addresses : undefined;
    },
    ioTimeoutSec: settings.ioTimeoutSec,
    tlsCaFile: settings.limits.tlsCaFile,
    signal: stop.signal,
    onEvent: (event) => {
      if (event.type === 'playlist') live = event.live;
      if (event.type !== 'segment') settings.logger?.debug({ source: validated.display, event }, 'hls');
      onSourceEvent?.(event);
    },
  })[Symbol.asyncIterator]();
  return {
    segments,
    live: () => live,
    stop: () => {
      stop.abort();
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Probes an HLS playlist: reads its first segment (every URL checked, see {@link openHls}) and
 * probes that. MediaInfo has `formatName` `hls` and no duration.
 */
export async function probeHls(settings: ConverterSettings, validated: ValidatedUrlSource, signal?: AbortSignal): Promise<ProbedMedia> {
  const reader = openHls(settings, validated, signal);
  try {
    const first = await reader.segments.next();
    if (first.done) throw new InputError('INPUT_TRUNCATED', `${validated.display} lists no segments`);
    return await probeSegment(settings, { kind: 'pipe', format: 'mpegts', live: reader.live(), display: validated.display }, first.value, signal);
  } finally {
    reader.stop();
    await reader.segments.return?.().catch(() => undefined);
  }
}

/** Writes one chunk and resolves once it is handed to the pipe: the reader waits for a slow ffmpeg. */
function writeChunk(stream: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}

/** One running ffmpeg and the batches it produces. */
class DecodeSession {
  private readonly child: ManagedChild;
  private readonly assembler: BatchAssembler;
  /** Video frames read, waiting for the log to settle their decoder reports; null unless asked for. */
  private readonly hold: ReportHold<VideoFrame> | null;
  private readonly pipes: Readable[] = [];
  private readonly ready: FrameBatch[] = [];
  private waiter: { resolve: (b: FrameBatch | null) => void; reject: (e: unknown) => void } | null = null;
  private failure: FramewatchError | null = null;
  private exit: ChildExit | null = null;
  private finished = false;
  private paused = false;
  private lastOutputAt = performance.now();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly onAbort = () => this.fail(new CancelledError());

  constructor(
    private readonly settings: ConverterSettings,
    private readonly source: FfmpegInput,
    plan: DecodePlan,
    streamId: string,
    wallLeftMs: number,
    private readonly signal: AbortSignal | undefined,
    /** Writes the input to ffmpeg's stdin (a piped input); its failure fails the decode. */
    feed?: (stdin: Writable) => Promise<void>,
  ) {
    const { video, audio } = plan.args;
    const unitRate = plan.unitRate;
    this.assembler = new BatchAssembler({
      streamId,
      framesPerBatch: plan.framesPerBatch,
      unitRate,
      hasVideo: video !== null,
      hasAudio: audio !== null,
      maxLagUnits: plan.framesPerBatch + Math.ceil(DECODE_TUNING.maxLagSec * rationalValue(unitRate)),
      maxPendingBytes: DECODE_TUNING.maxPendingBytes,
    });
    const args = buildDecodeArgs(source, plan.args, settings.limits);
    settings.logger?.debug({ source: source.display, args: redactUrls(args.join(' ')) }, 'starting ffmpeg');
    // Asked for, the decoder's error reports are given to frames by ffmpeg's own log order (see
    // DecoderReportLedger): each frame read waits in `hold` until the log has passed it, and the
    // video ends once both its pipe and the log have.
    const ledger = video?.decoderReports ? new DecoderReportLedger(video.fps) : null;
    const hold = ledger
      ? new ReportHold<VideoFrame>(ledger, (frame, decodeErrors) => this.assembler.addVideo(decodeErrors > 0 ? { ...frame, decodeErrors } : frame))
      : null;
    this.hold = hold;
    let videoOutEnded = false;
    let logEnded = false;
    // Called once each by the pipe's end and the log's end: only the later call finds both ended.
    // Once the log has ended every frame is settled, so nothing is left in `hold` by then.
    const endVideo = (): void => {
      if (videoOutEnded && (!hold || logEnded)) this.assembler.endVideo();
    };
    this.child = spawnManaged(settings.ffmpegPath, args, [feed ? 'pipe' : 'ignore', video ? 'pipe' : 'ignore', 'pipe', audio ? 'pipe' : 'ignore'], {
      line: (line) => {
        if (!ledger) return;
        ledger.line(line);
        if (hold?.release()) this.pump();
      },
      end: () => {
        if (!ledger) return;
        logEnded = true;
        ledger.end();
        hold?.release();
        endVideo();
        this.pump();
      },
      // Only the error lines: at `info` the log also names the input, with its whole URL.
      tail: errorLevelLine,
    });

    if (video) {
      const { width, height } = video;
      let nextIndex = 0;
      const splitter = new FrameSplitter(width * height, (plane) => {
        const index = nextIndex++;
        const frame: VideoFrame = { pts: unitTime(index, unitRate), index, width, height, format: PixelFormat.gray, planes: [plane] };
        if (hold) hold.frame(frame);
        else this.assembler.addVideo(frame);
      });
      this.attach(this.child.process.stdio[DECODE_FDS.video] as Readable, (chunk) => splitter.push(chunk), () => {
        if (splitter.leftoverBytes > 0) {
          settings.logger?.debug({ bytes: splitter.leftoverBytes }, 'dropped an incomplete last frame');
        }
        videoOutEnded = true;
        endVideo();
      });
    }
    if (audio) {
      const { sampleRate, channels } = audio;
      const chunker = new AudioChunker(sampleRate, channels, unitRate, (index, startSample, samples) => {
        this.assembler.addAudio({ pts: startSample / sampleRate, index, sampleRate, channels, samples });
      });
      this.attach(this.child.process.stdio[DECODE_FDS.audio] as Readable, (chunk) => chunker.push(chunk), () => {
        chunker.flush();
        this.assembler.endAudio();
      });
    }

    void this.child.exited.then((exit) => {
      this.exit = exit;
      // A child that never started has no pipes that will end; fail right away.
      if (exit.spawnError) this.fail(spawnFailure(settings.ffmpegPath, exit));
      else this.pump();
    });
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (feed && this.child.process.stdin) {
      feed(this.child.process.stdin).catch((err: unknown) => {
        // ffmpeg closing its stdin (it ended or was stopped) is no failure of the source.
        if (this.exit || this.child.terminating) return;
        this.fail(toFramewatchError(err));
      });
    }
    // A live stream is silent while its source stalls; the playlist reader reports that instead.
    const live = source.kind === 'pipe' && source.live;
    if (live) this.timers.push(setInterval(() => this.flushQuiet(), DECODE_TUNING.liveFlushCheckMs));
    if (!live) {
      const idleMs = settings.ioTimeoutSec * 1000;
      const tick = setInterval(() => this.checkIdle(idleMs), Math.max(50, Math.min(1000, idleMs / 4)));
      this.timers.push(tick);
    }
    if (Number.isFinite(wallLeftMs)) {
      const wall = setTimeout(
        () => this.fail(new SourceTimeoutError(`decoding ${source.display} exceeded the ${settings.maxWallSec} s wall-clock limit`)),
        Math.max(0, wallLeftMs),
      );
      this.timers.push(wall);
    }
  }

  /** The next batch in order, or null after the final one. */
  next(): Promise<FrameBatch | null> {
    // An abort wins even over batches already decoded: the caller no longer wants them.
    if (this.signal?.aborted) this.fail(new CancelledError());
    if (this.failure) return Promise.reject(this.failure);
    const batch = this.ready.shift();
    if (batch) {
      this.maybeResume();
      return Promise.resolve(batch);
    }
    if (this.finished) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Stops ffmpeg if it still runs, waits until it is reaped, and releases timers and listeners. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    if (!this.exit) await this.child.terminate(DECODE_TUNING.killGraceMs);
    else await this.child.exited;
  }

  private attach(stream: Readable, onData: (chunk: Buffer) => void, onEnd: () => void): void {
    this.pipes.push(stream);
    stream.on('data', (chunk: Buffer) => {
      this.lastOutputAt = performance.now();
      onData(chunk);
      this.pump();
    });
    stream.once('end', () => {
      onEnd();
      this.pump();
    });
    // A read error on our end of a pipe only happens while tearing down; the exit status decides.
    stream.on('error', () => undefined);
  }

  /**
   * Live only: once ffmpeg has been quiet for `liveFlushAfterMs`, releases what it produced of the
   * current batch, so the alerts in it need not wait for the next segment (see
   * `BatchAssembler.releaseAvailable`). Nothing is released while the consumer has batches left.
   */
  private flushQuiet(): void {
    if (this.failure || this.finished || this.paused || this.ready.length > 0) return;
    if (performance.now() - this.lastOutputAt < DECODE_TUNING.liveFlushAfterMs) return;
    // The last frame of a burst would wait for the next burst's log otherwise.
    this.hold?.releaseAll();
    const batch = this.assembler.releaseAvailable();
    if (!batch) return;
    this.ready.push(batch);
    this.pump();
  }

  private checkIdle(idleMs: number): void {
    if (this.paused || this.failure || this.finished || this.assembler.ended) return;
    if (performance.now() - this.lastOutputAt > idleMs) {
      this.fail(
        new SourceTimeoutError(`${this.source.display} produced no data for ${this.settings.ioTimeoutSec} s`),
      );
    }
  }

  private fail(err: FramewatchError): void {
    if (this.failure) return;
    // After the final batch is queued only a cancellation still matters.
    if (this.finished && !(err instanceof CancelledError)) return;
    this.failure = err;
    this.ready.length = 0;
    void this.child.terminate(DECODE_TUNING.killGraceMs);
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(err);
  }

  /** Moves finished batches to the ready queue, settles the end, applies back-pressure. */
  private pump(): void {
    if (this.failure || this.finished) return;
    for (const batch of this.assembler.release()) this.ready.push(batch);
    if (this.assembler.ended && this.exit) this.settleEnd(this.exit);
    if (this.failure) return;
    if (this.ready.length >= DECODE_TUNING.maxQueuedBatches && !this.paused && !this.finished) {
      this.paused = true;
      for (const pipe of this.pipes) pipe.pause();
    }
    if (this.waiter && (this.ready.length > 0 || this.finished)) {
      const waiter = this.waiter;
      this.waiter = null;
      const batch = this.ready.shift() ?? null;
      this.maybeResume();
      waiter.resolve(batch);
    }
  }

  private settleEnd(exit: ChildExit): void {
    const log = this.settings.logger;
    const display = this.source.display;
    if (exit.signal && !this.child.terminating) {
      return this.fail(new FramewatchError('DECODE_FAILED', `ffmpeg was killed by ${exit.signal} while decoding ${display}`));
    }
    const units = this.assembler.unitsReceived;
    if (units === 0) {
      // Nothing usable came out: the input ends (or breaks) before its first frame.
      return this.fail(classifyFfmpegFailure(this.child.stderrTail(), failureSource(this.source), 'decode', 'INPUT_TRUNCATED'));
    }
    if (exit.code !== 0) {
      // Policy: a source that breaks off after some media decoded still yields what was decoded.
      log?.warn(
        { source: display, code: exit.code, units, stderr: redactUrls(this.child.stderrTail()).slice(-500) },
        'ffmpeg stopped with an error after decoding part of the input; keeping what was decoded',
      );
    }
    const { forcedReleases, lateUnitsDropped } = this.assembler.stats;
    if (lateUnitsDropped > 0) {
      log?.warn({ source: display, forcedReleases, lateUnitsDropped }, 'audio and video were too far apart; late units dropped');
    }
    for (const batch of this.assembler.finish()) this.ready.push(batch);
    this.finished = true;
    log?.debug({ source: display, units, forcedReleases }, 'decode finished');
  }

  private maybeResume(): void {
    if (this.paused && this.ready.length < DECODE_TUNING.maxQueuedBatches) {
      this.paused = false;
      // Time spent paused is the consumer's, not the source's.
      this.lastOutputAt = performance.now();
      for (const pipe of this.pipes) pipe.resume();
    }
  }
}

/** What error classification needs to name an input. */
function failureSource(source: FfmpegInput): { display: string; ffmpegInput: string } {
  return { display: source.display, ffmpegInput: source.kind === 'pipe' ? 'pipe:0' : source.ffmpegInput };
}
