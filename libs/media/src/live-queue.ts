/**
 * The bytes of a live MPEG-TS source that Framewatch receives itself (UDP datagrams, the SRT
 * reader's stdout) on their way to the decoder: a bounded queue that also watches the source's
 * pulse. Neither UDP nor an SRT connection can be paused, so the queue never pushes back on the
 * source: a decoder that falls further behind than the cap loses bytes (reported as `overflow`)
 * instead of filling memory.
 */
import { performance } from 'node:perf_hooks';
import { CancelledError, toFramewatchError } from '@framewatch/errors';
import type { FramewatchError } from '@framewatch/errors';

/**
 * What a live UDP or SRT source reports while it runs (delivered as `SourceEvent`s). URLs are
 * shown without query (stream ids and passphrases stay out of events and logs).
 */
export type LiveEvent =
  /** UDP: the socket is bound (and the multicast group joined); datagrams are being received. */
  | { type: 'listening'; url: string }
  /** No byte for the stall time; once per stall. `sinceMs` is the `performance.now()` of the last byte. */
  | { type: 'stalled'; sinceMs: number }
  /** Bytes came back after 'stalled'; `stalledForMs` is the gap since the previous byte. */
  | { type: 'resumed'; stalledForMs: number }
  /** SRT: the reader ended (`error` says why); attempt `attempt` at reconnecting follows after `delayMs`. */
  | { type: 'retry'; url: string; attempt: number; delayMs: number; error: string }
  /** The decoder fell so far behind that `droppedBytes` received bytes had to be dropped. */
  | { type: 'overflow'; droppedBytes: number };

/** Options of {@link LiveTsQueue}. */
export interface LiveTsQueueOptions {
  /** Milliseconds without a byte before 'stalled'. */
  stallMs: number;
  /** Bytes held for the decoder at most; beyond that, arriving bytes are dropped. */
  capBytes: number;
  onEvent: (event: LiveEvent) => void;
}

/**
 * A bounded FIFO of received chunks with stall detection. The source calls `push` (and `fail`
 * for a fatal error); the probe looks at the head without taking it (`head`), then the decoder's
 * feed takes everything in order (`take`), the probed bytes first, so nothing received is lost
 * between probe and decode.
 */
export class LiveTsQueue {
  private chunks: Buffer[] = [];
  private queued = 0;
  private lastAt: number | null = null;
  private stalledSince: number | null = null;
  private stallTimer: NodeJS.Timeout | undefined;
  private dropped = 0;
  private failure: FramewatchError | null = null;
  private closed = false;
  private readonly waiters = new Set<() => void>();
  /** The last problem the source ran into (for a time-out message), already fit to show. */
  lastProblem: string | null = null;

  constructor(private readonly options: LiveTsQueueOptions) {}

  /** Bytes waiting for the decoder. */
  get size(): number {
    return this.queued;
  }

  /** While stalled, the `performance.now()` of the last byte (the `sinceMs` reported); else null. */
  get stalledSinceMs(): number | null {
    return this.stalledSince;
  }

  /** Adds received bytes; the first byte after a stall reports 'resumed'. */
  push(chunk: Buffer): void {
    if (this.closed || this.failure || chunk.length === 0) return;
    const now = performance.now();
    if (this.stalledSince !== null && this.lastAt !== null) {
      this.stalledSince = null;
      this.emit({ type: 'resumed', stalledForMs: Math.round(now - this.lastAt) });
    }
    this.lastAt = now;
    this.armStall();
    if (this.queued + chunk.length > this.options.capBytes) {
      this.dropped += chunk.length;
      return;
    }
    this.reportDropped();
    this.chunks.push(chunk);
    this.queued += chunk.length;
    this.wake();
  }

  /** Everything queued so far, as one buffer, without taking it. */
  head(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.queued)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /**
   * Takes everything queued, waiting while the queue is empty.
   *
   * @returns the bytes, or null once the queue is closed.
   * @throws the error given to {@link fail}.
   */
  async take(): Promise<Buffer | null> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.queued > 0) {
        const out = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.queued);
        this.chunks = [];
        this.queued = 0;
        return out;
      }
      if (this.closed) return null;
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
  }

  /**
   * Waits until `ready()` holds, the queue fails or closes, `signal` aborts, or `timeoutMs`
   * passes; returns whether `ready()` held.
   *
   * @throws the error given to {@link fail}; CancelledError on abort.
   */
  async waitUntil(ready: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = performance.now() + Math.max(0, timeoutMs);
    for (;;) {
      if (signal?.aborted) throw new CancelledError();
      if (this.failure) throw this.failure;
      if (ready()) return true;
      const leftMs = deadline - performance.now();
      if (this.closed || leftMs <= 0) return false;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, leftMs);
        this.waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** Ends the queue with a fatal source error: waiting and later takes throw it. */
  fail(error: FramewatchError): void {
    if (this.failure || this.closed) return;
    this.failure = error;
    this.disarm();
    this.wake();
  }

  /** Stops stall detection; `take` returns what is left, then null. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.disarm();
    this.reportDropped();
    this.wake();
  }

  private reportDropped(): void {
    if (this.dropped === 0) return;
    const droppedBytes = this.dropped;
    this.dropped = 0;
    this.emit({ type: 'overflow', droppedBytes });
  }

  /**
   * Delivers an event. It runs in a socket or pipe callback, where a throw would crash the
   * process: a listener that throws fails the source instead, as the HLS reader does.
   */
  private emit(event: LiveEvent): void {
    try {
      this.options.onEvent(event);
    } catch (err) {
      this.fail(toFramewatchError(err));
    }
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const resolve of waiters) resolve();
  }

  /**
   * Makes sure a stall check is pending. One timer per stall period, not one per datagram: when
   * it fires early (bytes came meanwhile) it re-arms for the time still left.
   */
  private armStall(): void {
    if (this.stallTimer !== undefined || this.stalledSince !== null || this.closed) return;
    const check = (): void => {
      this.stallTimer = undefined;
      if (this.closed || this.failure || this.lastAt === null) return;
      const silentMs = performance.now() - this.lastAt;
      if (silentMs < this.options.stallMs) {
        this.stallTimer = setTimeout(check, this.options.stallMs - silentMs);
        return;
      }
      this.stalledSince = this.lastAt;
      this.emit({ type: 'stalled', sinceMs: this.lastAt });
    };
    this.stallTimer = setTimeout(check, this.options.stallMs);
  }

  private disarm(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }
}
