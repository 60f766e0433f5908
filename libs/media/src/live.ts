/**
 * Live MPEG-TS inputs that Framewatch reads itself — `udp://` (datagrams received in Node) and
 * `srt://` (a reader ffmpeg as the SRT caller) — opened behind one shape: a {@link LiveTsQueue}
 * of received bytes that reports `stalled`/`resumed`, and a close that releases the socket or
 * reaps the reader. The decoder is fed from the queue exactly as from HLS segments.
 *
 * Probe and decode keep one connection: `MediaConverter.probe` opens the source, probes its first
 * bytes and parks it, still receiving, for a few seconds ({@link ParkedLiveSources}); the
 * `decode` of the same URL that follows (the runner probes, then decodes) takes it over with its
 * probe result, and the decoder gets every byte from the first probed one on. Nothing is lost
 * between probe and decode, and an SRT sender that serves a single caller (ffmpeg's own
 * `mode=listener`) is not hung up on. A decode without a parked source opens and probes its own.
 */
import { performance } from 'node:perf_hooks';
import { FramewatchError, SourceTimeoutError } from '@framewatch/errors';
import type { DecodeOptions } from '@framewatch/pipeline';
import type { ValidatedLiveSource } from '@framewatch/source-rules';
import type { PipedInput } from './args';
import { LiveTsQueue } from './live-queue';
import type { LiveEvent } from './live-queue';
import { probeLiveBytes } from './probe';
import type { ProbedMedia } from './probe';
import type { ConverterSettings } from './settings';
import { openSrt } from './srt';
import { openUdp } from './udp';

/** Fixed limits of live inputs; none of them is a product decision. */
export const LIVE_TUNING = {
  /**
   * Bytes held for a decoder that has fallen behind before arriving bytes are dropped: about
   * 13 s of a 20 Mb/s stream, far beyond what a decoder that keeps up ever holds.
   */
  maxQueuedBytes: 32 * 1024 * 1024,
  /** First probe this long after the first byte; each further attempt waits twice as long. */
  firstProbeAfterMs: 500,
  /** How long a probed source waits for its decode before it is closed. */
  parkMs: 5000,
} as const;

/** An open live source: its bytes, and how to stop it. */
export interface OpenLive {
  queue: LiveTsQueue;
  input: PipedInput;
  /** Pid of the SRT reader running now (none for UDP), for tests that check reaping. */
  readerPid(): number | undefined;
  /** Sends the source's events to `listener` from now on (a decode taking over a probed source). */
  setListener(listener: DecodeOptions['onSourceEvent']): void;
  /** Closes the socket or stops the reader (reaped once this resolves), then the queue. */
  close(): Promise<void>;
}

/**
 * Opens a validated UDP or SRT source. Events (`listening`, `stalled`, `resumed`, `retry`,
 * `overflow`) go to `onSourceEvent` and to the debug log.
 *
 * @throws InputError INPUT_NOT_FOUND when a UDP port cannot be bound or its group joined.
 */
export async function openLive(
  settings: ConverterSettings,
  source: ValidatedLiveSource,
  onSourceEvent?: DecodeOptions['onSourceEvent'],
): Promise<OpenLive> {
  let listener = onSourceEvent;
  const setListener = (next: DecodeOptions['onSourceEvent']): void => {
    listener = next;
    // A stall that began while the source was parked still needs its signal_loss.
    const since = queue.stalledSinceMs;
    if (since !== null) listener?.({ type: 'stalled', sinceMs: since });
  };
  const emit = (event: LiveEvent): void => {
    if (event.type === 'overflow') {
      settings.logger?.warn({ source: source.display, droppedBytes: event.droppedBytes }, 'the decoder fell behind the live source; bytes were dropped');
    } else {
      settings.logger?.debug({ source: source.display, event }, source.kind);
    }
    listener?.(event);
  };
  const queue = new LiveTsQueue({ stallMs: settings.liveStallSec * 1000, capBytes: LIVE_TUNING.maxQueuedBytes, onEvent: emit });
  const input: PipedInput = { kind: 'pipe', format: 'mpegts', live: true, display: source.display };
  if (source.kind === 'udp') {
    const udp = await openUdp(source, queue, emit);
    return {
      queue,
      input,
      readerPid: () => undefined,
      setListener,
      close: async () => {
        await udp.close();
        queue.close();
      },
    };
  }
  const srt = openSrt(settings, source, queue, emit);
  return {
    queue,
    input,
    readerPid: () => srt.readerPid(),
    setListener,
    close: async () => {
      await srt.close();
      queue.close();
    },
  };
}

/** Probe failures that more bytes can cure: no keyframe yet, a stream not seen yet, a cut packet. */
const curableByMoreBytes: ReadonlySet<string> = new Set(['INPUT_UNSUPPORTED', 'INPUT_NOT_MEDIA', 'INPUT_TRUNCATED', 'DECODE_FAILED']);

/**
 * Probes a live source from the bytes queued so far, without taking them (the decoder gets them
 * after). A stream joined mid-GOP has no frame size until its next keyframe, so the probe is
 * tried 0.5 s after the first byte and again after 1, 2, 4… s more, until it identifies the
 * streams, the queued bytes reach the probe size, or the probe time limit passes; then the last
 * failure is final.
 *
 * @throws SourceTimeoutError when not a byte arrives within `ioTimeoutSec`; CancelledError on
 *   abort; the probe's own error (INPUT_UNSUPPORTED, …) when the capped bytes never identify.
 */
export async function probeLiveQueue(settings: ConverterSettings, live: OpenLive, signal?: AbortSignal): Promise<ProbedMedia> {
  const { queue, input } = live;
  const arrived = await queue.waitUntil(() => queue.size > 0, settings.ioTimeoutSec * 1000, signal);
  if (!arrived) {
    const last = queue.lastProblem === null ? '' : ` (last: ${queue.lastProblem})`;
    throw new SourceTimeoutError(`${input.display} sent nothing within ${settings.ioTimeoutSec} s${last}`);
  }
  const capBytes = settings.limits.probeSizeBytes;
  const deadline = performance.now() + settings.probeTimeoutSec * 1000;
  let waitMs: number = LIVE_TUNING.firstProbeAfterMs;
  for (;;) {
    const wakeAt = Math.min(deadline, performance.now() + waitMs);
    await queue.waitUntil(() => queue.size >= capBytes, wakeAt - performance.now(), signal);
    const head = queue.head();
    const final = head.length >= capBytes || performance.now() >= deadline;
    try {
      return await probeLiveBytes(settings, input, head.subarray(0, capBytes), signal);
    } catch (err) {
      if (final || !(err instanceof FramewatchError) || !curableByMoreBytes.has(err.code)) throw err;
      settings.logger?.debug({ source: input.display, bytes: head.length, code: err.code }, 'live probe needs more bytes');
    }
    waitMs *= 2;
  }
}

/** A probed live source and what its probe found. */
export interface ProbedLive {
  live: OpenLive;
  probed: ProbedMedia;
}

/**
 * Probed live sources waiting for their decode, by source URL, oldest first; one set per
 * converter. Each is closed if no decode takes it within `parkMs`.
 */
export class ParkedLiveSources {
  private readonly parked = new Map<string, { entry: ProbedLive; timer: NodeJS.Timeout }[]>();

  constructor(private readonly parkMs: number = LIVE_TUNING.parkMs) {}

  /** Keeps `entry` for a decode of `url`. */
  park(url: string, entry: ProbedLive): void {
    const list = this.parked.get(url) ?? [];
    const timer = setTimeout(() => {
      const at = list.findIndex((p) => p.entry === entry);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0 && this.parked.get(url) === list) this.parked.delete(url);
      void entry.live.close();
    }, this.parkMs);
    // A parked source never keeps a process alive on its own account: the socket or reader does.
    timer.unref();
    list.push({ entry, timer });
    this.parked.set(url, list);
  }

  /** The oldest source parked for `url`, now owned by the caller; undefined when none is. */
  take(url: string): ProbedLive | undefined {
    const list = this.parked.get(url);
    const first = list?.shift();
    if (list?.length === 0) this.parked.delete(url);
    if (!first) return undefined;
    clearTimeout(first.timer);
    return first.entry;
  }
}

/**
 * `MediaConverter.probe` of a UDP or SRT source: opens it, probes its first bytes and parks it
 * for the decode that follows (see {@link ParkedLiveSources}). `durationSec` is null, so the
 * runner watches it as live (signal loss, pace).
 */
export async function probeLive(settings: ConverterSettings, url: string, source: ValidatedLiveSource, signal?: AbortSignal): Promise<ProbedMedia> {
  // Probed again before its decode came (a retried probe): the parked source answers, since a
  // second socket could not bind the port the first one holds.
  const parked = settings.parkedLive.take(url);
  if (parked) {
    settings.parkedLive.park(url, parked);
    return parked.probed;
  }
  const live = await openLive(settings, source);
  let probed: ProbedMedia;
  try {
    probed = await probeLiveQueue(settings, live, signal);
  } catch (err) {
    await live.close();
    throw err;
  }
  settings.parkedLive.park(url, { live, probed });
  return probed;
}

/**
 * A live source ready to decode: the one parked by the probe of `url`, or a new one, probed.
 * The caller owns it and must close it.
 */
export async function claimLive(
  settings: ConverterSettings,
  url: string,
  source: ValidatedLiveSource,
  onSourceEvent: DecodeOptions['onSourceEvent'],
  signal?: AbortSignal,
): Promise<ProbedLive> {
  const parked = settings.parkedLive.take(url);
  if (parked) {
    parked.live.setListener(onSourceEvent);
    return parked;
  }
  const live = await openLive(settings, source, onSourceEvent);
  try {
    return { live, probed: await probeLiveQueue(settings, live, signal) };
  } catch (err) {
    await live.close();
    throw err;
  }
}
