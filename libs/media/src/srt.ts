/**
 * Receiving MPEG-TS over SRT (caller mode). Node has no SRT, so a *reader* ffmpeg is the SRT
 * caller: it connects to the checked address and only remuxes (`-c copy`) to its stdout, which
 * Framewatch pipes into the decoder ffmpeg. The decoder keeps running while the reader is
 * restarted: when the connection drops, the sender goes away or the reader fails, a new reader
 * calls again after a back-off (0.5 s doubling to 8 s, reset once bytes flow), as the HLS reader
 * rides out an encoder restart.
 */
import { performance } from 'node:perf_hooks';
import type { ValidatedSrtSource } from '@framewatch/source-rules';
import { buildSrtReaderArgs, redactArgs } from './args';
import { spawnFailure, spawnManaged } from './child';
import type { ManagedChild } from './child';
import { classifyFfmpegFailure } from './errors';
import type { LiveEvent, LiveTsQueue } from './live-queue';
import type { ConverterSettings } from './settings';

/** Reconnection back-off of the SRT reader. */
export const SRT_RETRY = { baseMs: 500, maxMs: 8000 } as const;

/** SIGTERM → SIGKILL grace when stopping the reader. */
const READER_KILL_GRACE_MS = 1000;

/** An SRT connection being kept up, feeding a queue. */
export interface OpenSrt {
  /** Pid of the reader running now, if any (tests check that it is reaped). */
  readerPid(): number | undefined;
  /** Stops reconnecting, stops the reader and waits until it is reaped. Idempotent. */
  close(): Promise<void>;
}

/**
 * How long the reader waits for a byte before it gives up on the connection (`-rw_timeout`):
 * twice the stall time (at least 2 s, at most the I/O timeout). libsrt alone would wait forever
 * on a sender that vanished without closing; this way the caller calls again soon after.
 */
export function srtReaderIdleSec(settings: Pick<ConverterSettings, 'ioTimeoutSec' | 'liveStallSec'>): number {
  return Math.min(settings.ioTimeoutSec, Math.max(2, 2 * settings.liveStallSec));
}

/**
 * Keeps an SRT reader running for `source` until closed, pushing its stdout into `queue`.
 * Every time the reader ends (connection refused or dropped, peer silent, sender restarted) a
 * `retry` event says why and when the next call happens. A reader that cannot be spawned at all
 * (no ffmpeg) fails the queue with CONFIG_INVALID.
 *
 * @example
 * const srt = openSrt(settings, source, queue, (e) => log.debug(e));
 * // … queue.take() …
 * await srt.close();
 */
export function openSrt(settings: ConverterSettings, source: ValidatedSrtSource, queue: LiveTsQueue, emit: (event: LiveEvent) => void): OpenSrt {
  const stop = new AbortController();
  let reader: ManagedChild | null = null;
  const args = buildSrtReaderArgs(source, settings.limits, srtReaderIdleSec(settings));
  const failureSource = { display: source.display, ffmpegInput: source.ffmpegInput };

  const run = async (): Promise<void> => {
    let attempt = 0;
    while (!stop.signal.aborted) {
      settings.logger?.debug({ source: source.display, args: redactArgs(args).join(' ') }, 'starting the SRT reader');
      const child = spawnManaged(settings.ffmpegPath, args, ['ignore', 'pipe', 'pipe']);
      reader = child;
      let received = false;
      child.process.stdout?.on('data', (chunk: Buffer) => {
        received = true;
        queue.push(chunk);
      });
      const startedAt = performance.now();
      const exit = await child.exited;
      reader = null;
      if (stop.signal.aborted) return;
      if (exit.spawnError) {
        queue.fail(spawnFailure(settings.ffmpegPath, exit));
        return;
      }
      // A connection that carried media starts the back-off afresh.
      if (received) attempt = 0;
      attempt += 1;
      const delayMs = Math.min(SRT_RETRY.maxMs, SRT_RETRY.baseMs * 2 ** Math.min(attempt - 1, 16));
      // The reader's stderr, classified and with the address replaced by the source's display.
      const reason = classifyFfmpegFailure(child.stderrTail(), failureSource, 'probe').message;
      queue.lastProblem = reason;
      emit({ type: 'retry', url: source.display, attempt, delayMs, error: reason });
      settings.logger?.debug(
        { source: source.display, code: exit.code, ranMs: Math.round(performance.now() - startedAt), attempt, delayMs },
        'the SRT reader ended; calling again',
      );
      await sleep(delayMs, stop.signal);
    }
  };
  const running = run().catch((err: unknown) => {
    settings.logger?.warn({ source: source.display, err }, 'the SRT reader loop failed');
  });

  let closing: Promise<void> | null = null;
  return {
    readerPid: () => (reader as ManagedChild | null)?.process.pid,
    close() {
      closing ??= (async () => {
        stop.abort();
        await (reader as ManagedChild | null)?.terminate(READER_KILL_GRACE_MS);
        await running;
      })();
      return closing;
    },
  };
}

/** Waits `ms`, or less if `signal` aborts first (never rejects). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
