/**
 * A self-contained throughput measurement of the codec against the obvious alternative (JSON
 * with base64 planes), for the benchmark tool and for the numbers quoted in format.ts.
 */
import type { EncodeOptions } from './format';
import { decodeFrameBatch, encodeFrameBatch } from './frame-batch';
import type { FrameBatch } from './types';

/** Shape of the synthetic batch and how long to measure. Defaults are the design target. */
export interface ThroughputOptions {
  /** Gray video frames per batch. Default 25. */
  videoFrames?: number;
  /** Default 1280. */
  width?: number;
  /** Default 720. */
  height?: number;
  /** Audio chunks per batch. Default 25. */
  audioChunks?: number;
  /** Sample frames per chunk (per channel). Default 1920 (40 ms at 48 kHz). */
  samplesPerChannel?: number;
  /** Default 2. */
  channels?: number;
  /** Timed rounds per format, after one warm-up; the median is reported. Default 9 for the codec. */
  rounds?: number;
  /** Timed rounds for JSON, which is much slower. Default 3. */
  jsonRounds?: number;
  /** Encoder options for the codec (e.g. `{ bodyChecksum: false }`). */
  encode?: EncodeOptions;
}

/** Median timings of one format. */
export interface FormatThroughput {
  /** Media bytes (planes + samples) per second of encode + decode, in GB/s (10^9 bytes). */
  gbPerSec: number;
  /** Median encode time, ms. */
  encodeMs: number;
  /** Median decode time, ms. */
  decodeMs: number;
  /** Size of the encoded batch, bytes. */
  encodedBytes: number;
}

/** What {@link measureCodecThroughput} reports. */
export interface ThroughputReport {
  /** Media bytes in the batch (the numerator of every GB/s figure). */
  mediaBytes: number;
  codec: FormatThroughput;
  json: FormatThroughput;
}

/**
 * Measures encode + decode throughput of {@link encodeFrameBatch}/{@link decodeFrameBatch} and
 * of JSON with base64 planes on the same synthetic batch, on the calling thread. GB/s counts
 * media bytes (planes + samples), so the two formats are compared on the same work. Each round
 * times one encode and one decode; the report gives the median round. Synchronous and CPU-bound:
 * run it from a benchmark, not from a server.
 *
 * @example
 * const { codec, json } = measureCodecThroughput();
 * console.log(`codec ${codec.gbPerSec.toFixed(2)} GB/s, JSON ${json.gbPerSec.toFixed(2)} GB/s`);
 */
export function measureCodecThroughput(options: ThroughputOptions = {}): ThroughputReport {
  const batch = syntheticBatch(options);
  const mediaBytes =
    batch.video.reduce((n, f) => n + f.planes.reduce((m, p) => m + p.byteLength, 0), 0) +
    batch.audio.reduce((n, c) => n + c.samples.byteLength, 0);
  const encodeOptions = options.encode ?? {};
  const codec = measure(
    mediaBytes,
    options.rounds ?? 9,
    () => encodeFrameBatch(batch, encodeOptions),
    (bytes) => decodeFrameBatch(bytes),
    (bytes) => bytes.byteLength,
  );
  const json = measure(mediaBytes, options.jsonRounds ?? 3, () => encodeJson(batch), decodeJson, (text) => Buffer.byteLength(text));
  return { mediaBytes, codec, json };
}

function measure<T>(
  mediaBytes: number,
  rounds: number,
  encode: () => T,
  decode: (encoded: T) => FrameBatch,
  sizeOf: (encoded: T) => number,
): FormatThroughput {
  let encodedBytes = sizeOf(encode());
  decode(encode());
  const encodeMs: number[] = [];
  const decodeMs: number[] = [];
  const totals: number[] = [];
  for (let r = 0; r < Math.max(1, rounds); r++) {
    const t0 = performance.now();
    const encoded = encode();
    const t1 = performance.now();
    const decoded = decode(encoded);
    const t2 = performance.now();
    // Touch the result so that no engine could drop the decode as dead code.
    if (decoded.video.length + decoded.audio.length < 0) throw new Error('unreachable');
    encodedBytes = sizeOf(encoded);
    encodeMs.push(t1 - t0);
    decodeMs.push(t2 - t1);
    totals.push(t2 - t0);
  }
  return { gbPerSec: mediaBytes / (median(totals) / 1000) / 1e9, encodeMs: median(encodeMs), decodeMs: median(decodeMs), encodedBytes };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function syntheticBatch(options: ThroughputOptions): FrameBatch {
  const width = options.width ?? 1280;
  const height = options.height ?? 720;
  const channels = options.channels ?? 2;
  const perChannel = options.samplesPerChannel ?? 1920;
  // A cheap xorshift fill: content does not change the codec's cost, but constant bytes could
  // flatter a checksum or a compressor.
  let state = 0x9e3779b9;
  const fill = (words: Uint32Array): void => {
    for (let i = 0; i < words.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      words[i] = state >>> 0;
    }
  };
  const video = Array.from({ length: options.videoFrames ?? 25 }, (_, i) => {
    const plane = new Uint8Array(width * height);
    fill(new Uint32Array(plane.buffer, 0, plane.byteLength >> 2));
    return { pts: i / 25, index: i, width, height, format: 'gray' as const, planes: [plane] };
  });
  const audio = Array.from({ length: options.audioChunks ?? 25 }, (_, i) => {
    const samples = new Float32Array(perChannel * channels);
    for (let s = 0; s < samples.length; s++) samples[s] = Math.sin(s / 10) * 0.5;
    return { pts: i / 25, index: i, sampleRate: 48_000, channels, samples };
  });
  return { streamId: 'an-throughput', seq: 0, startSec: 0, endSec: video.length / 25, video, audio, final: false };
}

function base64(bytes: ArrayBufferView): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function encodeJson(batch: FrameBatch): string {
  return JSON.stringify({
    ...batch,
    video: batch.video.map((f) => ({ ...f, planes: f.planes.map(base64) })),
    audio: batch.audio.map((c) => ({ ...c, samples: base64(c.samples) })),
  });
}

interface JsonBatch extends Omit<FrameBatch, 'video' | 'audio'> {
  video: (Omit<FrameBatch['video'][number], 'planes'> & { planes: string[] })[];
  audio: (Omit<FrameBatch['audio'][number], 'samples'> & { samples: string })[];
}

function decodeJson(text: string): FrameBatch {
  const parsed = JSON.parse(text) as JsonBatch;
  return {
    ...parsed,
    video: parsed.video.map((f) => ({ ...f, planes: f.planes.map((p) => Buffer.from(p, 'base64')) })),
    audio: parsed.audio.map((c) => {
      const bytes = Buffer.from(c.samples, 'base64');
      // Copy: a decoded Buffer may sit at any offset in Node's pool, too unaligned for a view.
      const samples = new Float32Array(bytes.byteLength / 4);
      new Uint8Array(samples.buffer).set(bytes);
      return { ...c, samples };
    }),
  };
}
