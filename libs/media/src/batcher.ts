/**
 * Groups decoded video frames and audio chunks into FrameBatches (pure, no I/O).
 *
 * Units are indexed on one timeline: frame `i` and audio chunk `i` both start at `i / unitRate`
 * (see timeline.ts), so batch `k` holds the units with index in `[k·N, (k+1)·N)` of each stream.
 * A batch is released once every stream has delivered a unit beyond it (or ended), which also
 * tells whether it is the last one. The two streams come out of one ffmpeg process roughly in
 * step; when one runs far ahead (an audio track that stops early, a badly interleaved file) the
 * oldest batch is released without waiting, and units that arrive later for it are dropped and
 * counted, so buffering never grows with the length of the input.
 *
 * A live source also needs {@link BatchAssembler.releaseAvailable}: a batch whose end falls at the
 * end of a live segment would otherwise wait for the first unit of the next segment, seconds
 * away, and so would every alert in it. It releases what both streams have delivered of the
 * oldest batch as a shorter batch; the rest of that batch follows as another.
 */
import type { AudioChunk, FrameBatch, VideoFrame } from '@framewatch/frame-codec';
import { unitTime } from './timeline';
import type { Rational } from './timeline';

/** Settings of a {@link BatchAssembler}. */
export interface BatchAssemblerOptions {
  streamId: string;
  /** Units (frames, chunks) per batch. */
  framesPerBatch: number;
  /** Units per second: the video frame rate, or 25 for audio-only sources. */
  unitRate: Rational;
  hasVideo: boolean;
  hasAudio: boolean;
  /**
   * Release the oldest batch without waiting for the lagging stream once the leading stream holds
   * more than this many units from that batch's start on. Must exceed `framesPerBatch`.
   */
  maxLagUnits: number;
  /** …or once this many bytes wait in unreleased batches. */
  maxPendingBytes: number;
}

interface PendingBatch {
  video: VideoFrame[];
  audio: AudioChunk[];
}

/** Counters an assembler keeps for logs. */
export interface BatchAssemblerStats {
  /** Batches released before the lagging stream caught up. */
  forcedReleases: number;
  /** Frames and chunks that arrived after their batch had been released. */
  lateUnitsDropped: number;
}

/** Turns a stream of frames and chunks into ordered, gap-free batches. */
export class BatchAssembler {
  /** Slot 0 holds the units from {@link nextIndex} to the next multiple of `framesPerBatch`; slot k the k-th batch after it. */
  private readonly pending: PendingBatch[] = [];
  private nextSeq = 0;
  /** First unit index not yet released. */
  private nextIndex = 0;
  private videoCount = 0;
  private audioCount = 0;
  private videoEnded: boolean;
  private audioEnded: boolean;
  private pendingBytes = 0;
  private finished = false;
  readonly stats: BatchAssemblerStats = { forcedReleases: 0, lateUnitsDropped: 0 };

  constructor(private readonly options: BatchAssemblerOptions) {
    if (!Number.isInteger(options.framesPerBatch) || options.framesPerBatch < 1) {
      throw new RangeError('framesPerBatch must be a positive integer');
    }
    this.videoEnded = !options.hasVideo;
    this.audioEnded = !options.hasAudio;
  }

  /** Frames plus chunks received so far. */
  get unitsReceived(): number {
    return this.videoCount + this.audioCount;
  }

  /** Bytes held in batches not yet released. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Adds the next video frame (frames arrive in index order). */
  addVideo(frame: VideoFrame): void {
    this.videoCount = frame.index + 1;
    this.place(frame.index, frame.planes[0].byteLength, (b) => b.video.push(frame));
  }

  /** Adds the next audio chunk (chunks arrive in index order). */
  addAudio(chunk: AudioChunk): void {
    this.audioCount = chunk.index + 1;
    this.place(chunk.index, chunk.samples.byteLength, (b) => b.audio.push(chunk));
  }

  /** Marks the end of the video stream. */
  endVideo(): void {
    this.videoEnded = true;
  }

  /** Marks the end of the audio stream. */
  endAudio(): void {
    this.audioEnded = true;
  }

  /** True once both streams have ended. */
  get ended(): boolean {
    return this.videoEnded && this.audioEnded;
  }

  /**
   * Returns the batches that can be released now, none of them final: the last batch is only
   * released by {@link finish}, once the caller knows the decoder succeeded.
   */
  release(): FrameBatch[] {
    const out: FrameBatch[] = [];
    for (;;) {
      const end = this.slotEnd();
      // A stream has "passed" the batch once it delivered a unit with index >= end.
      const videoPassed = this.videoCount > end;
      const audioPassed = this.audioCount > end;
      const videoDone = this.videoEnded || videoPassed;
      const audioDone = this.audioEnded || audioPassed;
      if (videoDone && audioDone) {
        // Both done and neither passed: both ended inside this batch, so it is the final one.
        if (!videoPassed && !audioPassed) return out;
        out.push(this.shift(false));
      } else if ((videoPassed || audioPassed) && this.lagExceeded()) {
        this.stats.forcedReleases += 1;
        out.push(this.shift(false));
      } else {
        return out;
      }
    }
  }

  /**
   * Releases everything left, the last batch marked `final` (an empty one when nothing is left,
   * so a consumer always sees the end). Call once both streams have ended.
   */
  finish(): FrameBatch[] {
    if (this.finished) return [];
    const out = this.release();
    while (this.pending.length > 1) out.push(this.shift(false));
    out.push(this.shift(true));
    this.finished = true;
    return out;
  }

  /**
   * Releases, as a batch of its own, the units of the oldest unreleased batch that every stream
   * still running has delivered (frames and chunks with the same indices), or null when there are
   * none or the streams have ended (then {@link finish} releases the rest). The batch's remaining
   * units follow later as another batch with the next `seq`. For live sources, once the decoder
   * has gone quiet: see the class comment.
   */
  releaseAvailable(): FrameBatch | null {
    if (this.finished) return null;
    const end = this.slotEnd();
    let upTo = end;
    if (!this.videoEnded) upTo = Math.min(upTo, this.videoCount);
    if (!this.audioEnded) upTo = Math.min(upTo, this.audioCount);
    if (this.ended || upTo <= this.nextIndex) return null;
    if (upTo === end) return this.shift(false);
    const slot = this.pending[0] ?? { video: [], audio: [] };
    const head: PendingBatch = { video: slot.video.filter((f) => f.index < upTo), audio: slot.audio.filter((c) => c.index < upTo) };
    this.pending[0] = { video: slot.video.filter((f) => f.index >= upTo), audio: slot.audio.filter((c) => c.index >= upTo) };
    this.pending.unshift(head);
    return this.shift(false, upTo);
  }

  /** End (exclusive unit index) of the oldest unreleased batch: the next multiple of `framesPerBatch`. */
  private slotEnd(): number {
    return (Math.floor(this.nextIndex / this.options.framesPerBatch) + 1) * this.options.framesPerBatch;
  }

  private lagExceeded(): boolean {
    // Units held from the oldest unreleased batch up to the leading stream's newest unit.
    const held = Math.max(this.videoCount, this.audioCount) - this.nextIndex;
    return held > this.options.maxLagUnits || this.pendingBytes > this.options.maxPendingBytes;
  }

  private place(index: number, bytes: number, put: (batch: PendingBatch) => void): void {
    const slot = Math.floor(index / this.options.framesPerBatch) - Math.floor(this.nextIndex / this.options.framesPerBatch);
    if (slot < 0 || index < this.nextIndex) {
      this.stats.lateUnitsDropped += 1;
      return;
    }
    while (this.pending.length <= slot) this.pending.push({ video: [], audio: [] });
    put(this.pending[slot]);
    this.pendingBytes += bytes;
  }

  /** Releases slot 0 as batch `nextSeq`, ending at `endIndex` (the slot's end unless it was split). */
  private shift(final: boolean, endIndex = this.slotEnd()): FrameBatch {
    const { streamId, unitRate } = this.options;
    const batch = this.pending.shift() ?? { video: [], audio: [] };
    const seq = this.nextSeq;
    this.nextSeq += 1;
    for (const f of batch.video) this.pendingBytes -= f.planes[0].byteLength;
    for (const c of batch.audio) this.pendingBytes -= c.samples.byteLength;
    const startSec = unitTime(this.nextIndex, unitRate);
    let endSec = unitTime(endIndex, unitRate);
    this.nextIndex = endIndex;
    if (final) {
      // The last batch ends where the media does, not at the nominal batch boundary.
      const lastVideo = batch.video.at(-1);
      const lastAudio = batch.audio.at(-1);
      const videoEnd = lastVideo ? unitTime(lastVideo.index + 1, unitRate) : startSec;
      const audioEnd = lastAudio ? lastAudio.pts + lastAudio.samples.length / lastAudio.channels / lastAudio.sampleRate : startSec;
      endSec = Math.max(videoEnd, audioEnd, startSec);
    }
    return { streamId, seq, startSec, endSec, video: batch.video, audio: batch.audio, final };
  }
}
