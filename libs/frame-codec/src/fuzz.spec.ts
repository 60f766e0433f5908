import { CodecError } from '@framewatch/errors';
import { isDeepStrictEqual } from 'node:util';
import { decodeDetectionBatch, encodeDetectionBatch } from './detection-batch';
import { decodeFrameBatch, encodeFrameBatch } from './frame-batch';
import { At, audioChunk, detectionBatch, frameBatch, grayFrame, prng, reseal, yuvFrame } from './spec-helpers';

// Seeded so that a failure can be replayed: every failure line names the seed and iteration.
const SEED = 0x5eed_f00d;
const ITERATIONS = 3000;

interface Codec<T> {
  name: string;
  value: T;
  encode(value: T, options?: { bodyChecksum?: boolean }): Uint8Array;
  decode(bytes: Uint8Array): T;
}

const codecs: Codec<unknown>[] = [
  {
    name: 'FrameBatch',
    value: frameBatch([grayFrame(0, 5, 3), { ...yuvFrame(1, 3, 5), decodeErrors: 3 }], [audioChunk(0, 2, 4), audioChunk(1, 1, 3)], { streamId: 'an-fuzz-ü' }),
    encode: encodeFrameBatch as Codec<unknown>['encode'],
    decode: decodeFrameBatch,
  },
  {
    name: 'DetectionBatch',
    value: detectionBatch(),
    encode: encodeDetectionBatch as Codec<unknown>['encode'],
    decode: decodeDetectionBatch,
  },
];

type Rng = () => number;
const int = (rnd: Rng, n: number): number => Math.floor(rnd() * n);

/** One random corruption of `bytes`; positions are drawn from `[from, to)`. */
function mutate(rnd: Rng, bytes: Uint8Array, from: number, to: number): { out: Uint8Array; how: string } {
  const at = from + int(rnd, to - from);
  const out = bytes.slice();
  switch (int(rnd, 6)) {
    case 0: {
      const bit = int(rnd, 8);
      out[at] ^= 1 << bit;
      return { out, how: `flip bit ${bit} at ${at}` };
    }
    case 1: {
      const value = int(rnd, 256);
      out[at] = value;
      return { out, how: `set byte ${at} to ${value}` };
    }
    case 2:
      return { out: bytes.slice(0, at), how: `truncate to ${at}` };
    case 3: {
      const extra = Uint8Array.from({ length: 1 + int(rnd, 16) }, () => int(rnd, 256));
      const longer = new Uint8Array(bytes.length + extra.length);
      longer.set(bytes);
      longer.set(extra, bytes.length);
      return { out: longer, how: `append ${extra.length} bytes` };
    }
    case 4: {
      const length = 1 + int(rnd, 8);
      const shorter = new Uint8Array(bytes.length - Math.min(length, bytes.length - at));
      shorter.set(bytes.subarray(0, at));
      shorter.set(bytes.subarray(at + length), at);
      return { out: shorter, how: `delete ${length} bytes at ${at}` };
    }
    default: {
      const value = [0, 0xff, 0x7f, 0x80][int(rnd, 4)];
      out.fill(value, at, Math.min(out.length, at + 4));
      return { out, how: `fill 4 bytes at ${at} with ${value}` };
    }
  }
}

function outcome(decode: (bytes: Uint8Array) => unknown, bytes: Uint8Array): { value?: unknown; error?: unknown } {
  try {
    return { value: decode(bytes) };
  } catch (error) {
    return { error };
  }
}

describe.each(codecs)('$name decoding of corrupted bytes', (codec) => {
  const original = codec.encode(codec.value);

  it('throws CodecError or returns the original value for any corruption of an intact message', () => {
    const rnd = prng(SEED);
    const failures: string[] = [];
    let rejected = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const { out, how } = mutate(rnd, original, 0, original.length);
      const { value, error } = outcome(codec.decode, out);
      if (error !== undefined) {
        if (error instanceof CodecError) rejected++;
        else failures.push(`seed ${SEED} iteration ${i} (${how}): threw ${String(error)}`);
      } else if (!isDeepStrictEqual(value, codec.value)) {
        failures.push(`seed ${SEED} iteration ${i} (${how}): decoded to a different value`);
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(rejected).toBeGreaterThan(ITERATIONS * 0.95);
  });

  it('throws CodecError or decodes to a value that re-encodes consistently when corrupted bytes carry valid checksums', () => {
    const rnd = prng(SEED + 1);
    const metaEnd = At.meta + new DataView(original.buffer).getUint32(At.metaBytes, true);
    const failures: string[] = [];
    const messages = new Set<string>();
    for (let i = 0; i < ITERATIONS; i++) {
      // Aim at the header fields and the metadata, where the parser's decisions are made; reseal
      // so that the checksums do not stop the corruption at the door.
      const { out, how } = mutate(rnd, original, 4, metaEnd);
      if (out.length >= At.meta) reseal(out);
      const { value, error } = outcome(codec.decode, out);
      if (error !== undefined) {
        if (error instanceof CodecError) messages.add(error.message.replace(/[\d.]+/g, 'N'));
        else failures.push(`seed ${SEED + 1} iteration ${i} (${how}): threw ${String(error)}`);
        continue;
      }
      const again = outcome(codec.decode, codec.encode(value, { bodyChecksum: (out[At.flags] & 1) === 1 }));
      if (!isDeepStrictEqual(again.value, value)) failures.push(`seed ${SEED + 1} iteration ${i} (${how}): accepted a value that does not round-trip`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
    // The corruptions must reach many different checks, not just one.
    expect(messages.size).toBeGreaterThan(10);
  });
});

describe('FrameBatch encoding is canonical', () => {
  it('re-encodes every accepted resealed corruption to the very same bytes', () => {
    const codec = codecs[0];
    const original = codec.encode(codec.value);
    const metaEnd = At.meta + new DataView(original.buffer).getUint32(At.metaBytes, true);
    const rnd = prng(SEED + 2);
    const failures: string[] = [];
    let accepted = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const { out, how } = mutate(rnd, original, At.meta, original.length);
      if (out.length < metaEnd) continue;
      reseal(out);
      const { value } = outcome(codec.decode, out);
      if (value === undefined) continue;
      accepted++;
      const again = codec.encode(value, { bodyChecksum: (out[At.flags] & 1) === 1 });
      if (Buffer.compare(again, out) !== 0) failures.push(`seed ${SEED + 2} iteration ${i} (${how}): re-encoded differently`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
    // Pixel and sample corruptions are valid messages once resealed; they must make up a good share.
    expect(accepted).toBeGreaterThan(ITERATIONS / 10);
  });
});
