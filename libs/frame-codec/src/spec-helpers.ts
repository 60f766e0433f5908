/**
 * Helpers shared by this lib's specs (not part of the public API): sample batches, a seeded PRNG
 * and byte surgery on encoded messages. They restate the wire layout on purpose, so the specs
 * check the documented offsets rather than reuse the codec's own.
 */
import { crc32 } from 'node:zlib';
import type { AudioChunk, DetectionBatch, FrameBatch, VideoFrame } from './types';

/** Header field offsets, as documented in format.ts. */
export const At = {
  version: 4,
  kind: 6,
  flags: 7,
  totalBytes: 8,
  metaBytes: 12,
  bodyBytes: 16,
  bodyChecksum: 20,
  reserved: 24,
  headerChecksum: 28,
  meta: 32,
} as const;

/** A seeded PRNG, so that a failing random case can be replayed from its seed. */
export { createPrng as prng } from '@framewatch/seeded-random';

/** A plane of `length` bytes holding a recognisable pattern. */
export function pattern(length: number, salt = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + salt * 7 + 1) & 0xff);
}

/** A gray frame of the given size. */
export function grayFrame(index: number, width: number, height: number): VideoFrame {
  return { pts: index / 25, index, width, height, format: 'gray', planes: [pattern(width * height, index)] };
}

/** A yuv420p frame of the given size (chroma planes rounded up on odd sizes). */
export function yuvFrame(index: number, width: number, height: number): VideoFrame {
  const chroma = Math.ceil(width / 2) * Math.ceil(height / 2);
  return {
    pts: index / 25,
    index,
    width,
    height,
    format: 'yuv420p',
    planes: [pattern(width * height, index), pattern(chroma, index + 1), pattern(chroma, index + 2)],
  };
}

/** An audio chunk of `frames` sample frames per channel. */
export function audioChunk(index: number, channels: number, frames: number): AudioChunk {
  const samples = Float32Array.from({ length: channels * frames }, (_, i) => Math.sin(i + index) * 0.9);
  return { pts: index * 0.04, index, sampleRate: 48_000, channels, samples };
}

/** A FrameBatch with the given frames and chunks. */
export function frameBatch(video: VideoFrame[], audio: AudioChunk[], overrides: Partial<FrameBatch> = {}): FrameBatch {
  return { streamId: 'an-test', seq: 3, startSec: 0.12, endSec: 0.2, video, audio, final: false, ...overrides };
}

/** A small DetectionBatch with detail maps. */
export function detectionBatch(overrides: Partial<DetectionBatch> = {}): DetectionBatch {
  return {
    streamId: 'an-test',
    seq: 3,
    group: 'default',
    detectors: ['black', 'freeze', 'silence'],
    scores: [
      { target: 'video', index: 75, pts: 3, durationSec: 0.04, scores: { black: 1, freeze: 0 }, detail: { 'black.ratio': 0.998, 'freeze.diff': 12.5 } },
      { target: 'video', index: 76, pts: 3.04, durationSec: 0.04, scores: { black: 0.25, freeze: 0.5 } },
      { target: 'audio', index: 75, pts: 3, durationSec: 0.04, scores: { silence: 0 }, detail: {} },
    ],
    final: true,
    ...overrides,
  };
}

/** A copy of `bytes` with `patch` applied, then both checksums recomputed as a writer would. */
export function patched(bytes: Uint8Array, patch: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const copy = bytes.slice();
  patch(new DataView(copy.buffer), copy);
  return reseal(copy);
}

/** Recomputes the header checksum and (if flagged) the body checksum in place. */
export function reseal(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const metaBytes = view.getUint32(At.metaBytes, true);
  const bodyStart = (At.meta + metaBytes + 7) & ~7;
  if ((bytes[At.flags] & 1) !== 0) view.setUint32(At.bodyChecksum, crc32(bytes.subarray(bodyStart)), true);
  view.setUint32(At.headerChecksum, crc32(bytes.subarray(At.meta, At.meta + metaBytes), crc32(bytes.subarray(0, At.headerChecksum))), true);
  return bytes;
}

