/**
 * Cutting ffmpeg's raw output streams into frames and audio chunks with as few copies as the pipe
 * allows. Linux pipes deliver at most 64 KiB per read, so a luma frame larger than that is always
 * assembled once into its own buffer; a frame that lies whole inside one read is a view of it.
 */
import { unitStartSample } from './timeline';
import type { Rational } from './timeline';

/** Splits a raw video byte stream into fixed-size frames. */
export class FrameSplitter {
  private partial: Uint8Array | null = null;
  private filled = 0;

  constructor(
    private readonly frameBytes: number,
    private readonly onFrame: (plane: Uint8Array) => void,
  ) {}

  /** Feeds one chunk read from the pipe. */
  push(chunk: Uint8Array): void {
    let offset = 0;
    if (this.partial) {
      const take = Math.min(this.frameBytes - this.filled, chunk.length);
      this.partial.set(chunk.subarray(0, take), this.filled);
      this.filled += take;
      offset = take;
      if (this.filled < this.frameBytes) return;
      const frame = this.partial;
      this.partial = null;
      this.onFrame(frame);
    }
    while (chunk.length - offset >= this.frameBytes) {
      // A view, not a copy: the chunk was allocated for this read alone and is never reused.
      this.onFrame(new Uint8Array(chunk.buffer, chunk.byteOffset + offset, this.frameBytes));
      offset += this.frameBytes;
    }
    if (offset < chunk.length) {
      const rest = chunk.length - offset;
      this.partial = new Uint8Array(this.frameBytes);
      this.partial.set(chunk.subarray(offset), 0);
      this.filled = rest;
    }
  }

  /** Bytes of an incomplete frame left at the end of the stream (discarded). */
  get leftoverBytes(): number {
    return this.partial ? this.filled : 0;
  }
}

/**
 * Cuts interleaved float32 PCM into chunks aligned with the unit timeline: chunk `j` holds the
 * samples `[ceil(j·R/rate), ceil((j+1)·R/rate))`, so its duration is one video frame (or 40 ms
 * for audio-only sources) and its pts is exactly `firstSample / R`.
 */
export class AudioChunker {
  private index = 0;
  private startSample = 0;
  private current: Float32Array;
  private currentBytes: Uint8Array;
  private filled = 0;

  constructor(
    private readonly sampleRate: number,
    private readonly channels: number,
    private readonly unitRate: Rational,
    private readonly onChunk: (index: number, startSample: number, samples: Float32Array) => void,
  ) {
    this.current = new Float32Array(0);
    this.currentBytes = new Uint8Array(0);
    this.startChunk();
  }

  /** Feeds one chunk read from the pipe. */
  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(this.currentBytes.length - this.filled, chunk.length - offset);
      // Copied rather than viewed: a Float32Array view needs 4-byte alignment that pipe reads do
      // not guarantee, and audio is a tiny fraction of the bytes.
      this.currentBytes.set(chunk.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.currentBytes.length) {
        this.onChunk(this.index, this.startSample, this.current);
        this.index += 1;
        this.startChunk();
      }
    }
  }

  /** Emits the last, shorter chunk (whole sample frames only) at the end of the stream. */
  flush(): void {
    const frameBytes = 4 * this.channels;
    const usable = Math.floor(this.filled / frameBytes) * frameBytes;
    if (usable > 0) {
      this.onChunk(this.index, this.startSample, new Float32Array(this.current.buffer, 0, usable / 4));
      this.index += 1;
    }
    this.filled = 0;
  }

  private startChunk(): void {
    this.startSample = unitStartSample(this.index, this.sampleRate, this.unitRate);
    const samples = unitStartSample(this.index + 1, this.sampleRate, this.unitRate) - this.startSample;
    this.current = new Float32Array(samples * this.channels);
    this.currentBytes = new Uint8Array(this.current.buffer);
    this.filled = 0;
  }
}
