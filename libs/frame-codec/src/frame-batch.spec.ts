import { CodecError } from '@framewatch/errors';
import { sealMessage } from './format';
import { decodeFrameBatch, encodeFrameBatch } from './frame-batch';
import { audioChunk, frameBatch, grayFrame, patched, yuvFrame } from './spec-helpers';
import type { FrameBatch } from './types';

type Op = ['u8' | 'u16' | 'u32' | 'u64' | 'f64', number] | ['raw', number[]];

/** Builds a correctly sealed FrameBatch message from hand-written metadata fields. */
function craft(ops: Op[], sections: Uint8Array[] = []): Uint8Array {
  return sealMessage(
    'test',
    'frameBatch',
    (sink) => {
      for (const [kind, value] of ops) {
        if (kind === 'raw') value.forEach((b) => sink.u8(b));
        else sink[kind](value);
      }
    },
    sections,
    {},
  );
}

/** streamId "an", seq 3, startSec, endSec 1, final, counts. */
function head(o: { startSec?: number; final?: number; video?: number; audio?: number } = {}): Op[] {
  return [['u16', 2], ['raw', [0x61, 0x6e]], ['u64', 3], ['f64', o.startSec ?? 0], ['f64', 1], ['u8', o.final ?? 0], ['u32', o.video ?? 0], ['u32', o.audio ?? 0]];
}

/** A 4×2 frame descriptor. */
function frame(o: { pts?: number; index?: number; width?: number; height?: number; format?: number; planes?: number[]; decodeErrors?: number } = {}): Op[] {
  const planes = o.planes ?? [8];
  return [
    ['f64', o.pts ?? 0],
    ['u64', o.index ?? 0],
    ['u32', o.width ?? 4],
    ['u32', o.height ?? 2],
    ['u8', o.format ?? 1],
    ['u8', planes.length],
    ...planes.map((n): Op => ['u32', n]),
    ['u32', o.decodeErrors ?? 0],
  ];
}

function chunk(o: { sampleRate?: number; channels?: number; bytes?: number } = {}): Op[] {
  return [['f64', 0], ['u64', 0], ['u32', o.sampleRate ?? 48_000], ['u16', o.channels ?? 2], ['u32', o.bytes ?? 16]];
}

function decodeError(bytes: Uint8Array): string {
  try {
    decodeFrameBatch(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return (err as CodecError).message.replace(/^cannot decode FrameBatch: /, '');
  }
  throw new Error('decodeFrameBatch accepted the message');
}

function encodeError(batch: FrameBatch): string {
  try {
    encodeFrameBatch(batch);
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return (err as CodecError).message.replace(/^cannot encode FrameBatch: /, '');
  }
  throw new Error('encodeFrameBatch accepted the batch');
}

const roundTrip = (batch: FrameBatch): FrameBatch => decodeFrameBatch(encodeFrameBatch(batch));

describe('FrameBatch round trip', () => {
  it('round-trips video only', () => {
    const batch = frameBatch([grayFrame(0, 16, 9), grayFrame(1, 16, 9)], []);
    expect(roundTrip(batch)).toEqual(batch);
  });

  it('round-trips audio only', () => {
    const batch = frameBatch([], [audioChunk(0, 2, 1920), audioChunk(1, 1, 7)]);
    expect(roundTrip(batch)).toEqual(batch);
  });

  it('round-trips video and audio together', () => {
    const batch = frameBatch([grayFrame(0, 8, 6)], [audioChunk(0, 2, 5)], { final: true });
    expect(roundTrip(batch)).toEqual(batch);
  });

  it('round-trips an empty batch', () => {
    const batch = frameBatch([], [], { final: true, startSec: 10, endSec: 10 });
    expect(roundTrip(batch)).toEqual(batch);
  });

  it('round-trips yuv420p frames, including odd sizes whose chroma rounds up', () => {
    const batch = frameBatch([yuvFrame(0, 8, 4), yuvFrame(1, 5, 3)], []);
    expect(batch.video[1].planes.map((p) => p.length)).toEqual([15, 6, 6]);
    expect(roundTrip(batch)).toEqual(batch);
  });

  it('round-trips unicode stream ids, including a leading BOM and astral characters', () => {
    const batch = frameBatch([grayFrame(0, 2, 2)], [], { streamId: '\uFEFFan-📼-ünï-中文' });
    expect(roundTrip(batch).streamId).toBe('\uFEFFan-📼-ünï-中文');
  });

  it('keeps extreme but valid numbers exactly', () => {
    const batch = frameBatch([{ ...grayFrame(0, 1, 1), pts: -0, index: Number.MAX_SAFE_INTEGER }], [], {
      seq: Number.MAX_SAFE_INTEGER,
      startSec: -1e300,
      endSec: Number.MIN_VALUE,
    });
    const decoded = roundTrip(batch);
    expect(decoded).toEqual(batch);
    expect(Object.is(decoded.video[0].pts, -0)).toBe(true);
  });

  it('round-trips without a body checksum', () => {
    const batch = frameBatch([grayFrame(0, 8, 6)], [audioChunk(0, 2, 5)]);
    expect(decodeFrameBatch(encodeFrameBatch(batch, { bodyChecksum: false }))).toEqual(batch);
  });

  it('encodes into exactly the bytes it needs: header, metadata, and 8-aligned sections', () => {
    const bytes = encodeFrameBatch(frameBatch([grayFrame(0, 4, 2)], [audioChunk(0, 2, 3)]));
    // 32 header + 2+7 id + 8 seq + 16 times + 1 final + 8 counts + 34 frame + 26 chunk = 134, padded to 136; + 8 plane + 24 samples.
    expect(bytes.length).toBe(136 + 8 + 24);
    expect(bytes.buffer.byteLength).toBe(bytes.length);
  });

  it('round-trips decodeErrors, leaving the field out where it was 0', () => {
    const batch = frameBatch(
      [
        { ...grayFrame(0, 4, 2), decodeErrors: 0 },
        { ...yuvFrame(1, 5, 3), decodeErrors: 3 },
        { ...grayFrame(2, 4, 2), decodeErrors: 70_000 },
        { ...grayFrame(3, 4, 2), decodeErrors: 0xffff_ffff },
      ],
      [audioChunk(0, 2, 5)],
    );
    const decoded = roundTrip(batch);
    expect(decoded.video.map((f) => f.decodeErrors)).toEqual([undefined, 3, 70_000, 0xffff_ffff]);
    expect(Object.hasOwn(decoded.video[0], 'decodeErrors')).toBe(false);
    const { decodeErrors: _zero, ...withoutField } = batch.video[0];
    expect(decoded).toEqual({ ...batch, video: [withoutField, ...batch.video.slice(1)] });
  });

  it('round-trips a frame without decodeErrors without adding the field', () => {
    const batch = frameBatch([grayFrame(0, 4, 2), { ...grayFrame(1, 4, 2), decodeErrors: 2 }], []);
    const decoded = roundTrip(batch);
    expect(Object.hasOwn(decoded.video[0], 'decodeErrors')).toBe(false);
    expect(decoded.video[1].decodeErrors).toBe(2);
    expect(decoded).toStrictEqual(batch);
  });

  it('encodes an absent decodeErrors and a 0 to the same bytes', () => {
    const absent = encodeFrameBatch(frameBatch([grayFrame(0, 4, 2)], []));
    const zero = encodeFrameBatch(frameBatch([{ ...grayFrame(0, 4, 2), decodeErrors: 0 }], []));
    const three = encodeFrameBatch(frameBatch([{ ...grayFrame(0, 4, 2), decodeErrors: 3 }], []));
    expect(Buffer.compare(zero, absent)).toBe(0);
    expect(three.length).toBe(absent.length);
    expect(Buffer.compare(three, absent)).not.toBe(0);
  });

  it('encodes plane views that are windows of a larger buffer', () => {
    const big = new Uint8Array(100).map((_, i) => i);
    const batch = frameBatch([{ ...grayFrame(0, 4, 2), planes: [big.subarray(13, 21)] }], [{ ...audioChunk(0, 1, 2), samples: new Float32Array(new Float32Array([9, 1, 0.5, 7]).buffer, 4, 2) }]);
    const decoded = roundTrip(batch);
    expect(Array.from(decoded.video[0].planes[0])).toEqual([13, 14, 15, 16, 17, 18, 19, 20]);
    expect(Array.from(decoded.audio[0].samples)).toEqual([1, 0.5]);
  });
});

describe('FrameBatch decoding returns views, not copies', () => {
  it('returns planes that are views into the input buffer', () => {
    const bytes = encodeFrameBatch(frameBatch([yuvFrame(0, 6, 4)], []));
    const decoded = decodeFrameBatch(bytes);
    for (const plane of decoded.video[0].planes) {
      expect(plane.buffer).toBe(bytes.buffer);
      expect(plane.byteOffset).toBeGreaterThan(bytes.byteOffset);
    }
    bytes[decoded.video[0].planes[0].byteOffset] = 0xee;
    expect(decoded.video[0].planes[0][0]).toBe(0xee);
  });

  it('returns samples as views when the input is 4-aligned, even inside a larger buffer', () => {
    const message = encodeFrameBatch(frameBatch([grayFrame(0, 3, 1)], [audioChunk(0, 2, 4)]));
    const host = new Uint8Array(message.length + 16);
    host.set(message, 8);
    const decoded = decodeFrameBatch(host.subarray(8, 8 + message.length));
    expect(decoded.audio[0].samples.buffer).toBe(host.buffer);
    expect(decoded.video[0].planes[0].buffer).toBe(host.buffer);
  });

  it('copies samples (and only samples) when the caller\'s buffer is misaligned', () => {
    const batch = frameBatch([grayFrame(0, 3, 1)], [audioChunk(0, 2, 4)]);
    const message = encodeFrameBatch(batch);
    const host = new Uint8Array(message.length + 16);
    host.set(message, 3);
    const decoded = decodeFrameBatch(host.subarray(3, 3 + message.length));
    expect(decoded.audio[0].samples.buffer).not.toBe(host.buffer);
    expect(decoded.video[0].planes[0].buffer).toBe(host.buffer);
    expect(decoded).toEqual(batch);
  });
});

describe('FrameBatch decoding rejects malformed metadata', () => {
  it('accepts hand-built metadata that follows the documented layout, byte for byte', () => {
    const plane = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const samples = Float32Array.of(0.5, -0.5, 1, 0);
    const bytes = craft([...head({ video: 1, audio: 1 }), ...frame(), ...chunk()], [plane, new Uint8Array(samples.buffer)]);
    const expected: FrameBatch = {
      streamId: 'an',
      seq: 3,
      startSec: 0,
      endSec: 1,
      final: false,
      video: [{ pts: 0, index: 0, width: 4, height: 2, format: 'gray', planes: [plane] }],
      audio: [{ pts: 0, index: 0, sampleRate: 48_000, channels: 2, samples }],
    };
    expect(decodeFrameBatch(bytes)).toEqual(expected);
    expect(encodeFrameBatch(expected).slice(28)).toEqual(bytes.slice(28));
  });

  it('reads decodeErrors as the u32 after the plane lengths', () => {
    const plane = new Uint8Array(8);
    const reported = decodeFrameBatch(craft([...head({ video: 1 }), ...frame({ decodeErrors: 0xffff_ffff })], [plane]));
    expect(reported.video[0].decodeErrors).toBe(0xffff_ffff);
    const none = decodeFrameBatch(craft([...head({ video: 1 }), ...frame({ decodeErrors: 0 })], [plane]));
    expect(Object.hasOwn(none.video[0], 'decodeErrors')).toBe(false);
  });

  it('rejects a frame whose metadata ends before its decodeErrors', () => {
    expect(decodeError(craft([...head({ video: 1 }), ...frame().slice(0, -1)], [new Uint8Array(8)]))).toBe(
      'length overflow: video[0].decodeErrors needs 4 bytes at metadata offset 67 but the metadata section has 0 left',
    );
  });

  it('rejects an invalid pixel format code', () => {
    expect(decodeError(craft([...head({ video: 1 }), ...frame({ format: 3 })]))).toBe('invalid pixel format code 3 in video[0].format');
  });

  it('rejects a boolean that is neither 0 nor 1', () => {
    expect(decodeError(craft(head({ final: 2 })))).toBe('invalid boolean 2 in final (must be 0 or 1)');
  });

  it('rejects non-finite times', () => {
    expect(decodeError(craft(head({ startSec: NaN })))).toBe('startSec is NaN; it must be a finite number');
    expect(decodeError(craft([...head({ video: 1 }), ...frame({ pts: Infinity })], [new Uint8Array(8)]))).toBe(
      'video[0].pts is Infinity; it must be a finite number',
    );
  });

  it('rejects a plane whose length does not match width × height', () => {
    expect(decodeError(craft([...head({ video: 1 }), ...frame({ planes: [7] })], [new Uint8Array(7)]))).toBe(
      'video[0].planes[0] has 7 bytes; gray 4x2 needs 8',
    );
    expect(decodeError(craft([...head({ video: 1 }), ...frame({ format: 2, planes: [8, 2, 3] })], [new Uint8Array(8), new Uint8Array(2)]))).toBe(
      'video[0].planes[2] has 3 bytes; yuv420p 4x2 needs 2',
    );
  });

  it('rejects a plane count that does not match the pixel format', () => {
    expect(decodeError(craft([...head({ video: 1 }), ...frame({ planes: [8, 8] })]))).toBe('video[0] declares 2 planes; gray has 1');
  });

  it('rejects frame sizes outside [1, 16384]', () => {
    expect(decodeError(craft([...head({ video: 1 }), ...frame({ width: 0, planes: [0] })]))).toBe(
      'video[0].width is 0; it must be an integer in [1, 16384]',
    );
    expect(decodeError(craft([...head({ video: 1 }), ...frame({ height: 16385 })]))).toBe(
      'video[0].height is 16385; it must be an integer in [1, 16384]',
    );
  });

  it('rejects counts over the limits before reading further', () => {
    expect(decodeError(craft(head({ video: 4097 })))).toBe('video frame count 4097 exceeds the limit of 4096');
    expect(decodeError(craft(head({ audio: 0xffff_ffff })))).toBe('audio chunk count 4294967295 exceeds the limit of 4096');
  });

  it('rejects a string longer than the limit without reading it', () => {
    expect(decodeError(craft([['u16', 1025]]))).toBe('streamId is 1025 bytes of UTF-8, over the limit of 1024');
  });

  it('rejects invalid UTF-8', () => {
    expect(decodeError(craft([['u16', 2], ['raw', [0xc3, 0x28]], ...head().slice(2)]))).toBe('invalid UTF-8 in streamId');
  });

  it('rejects a u64 beyond the safe-integer range', () => {
    const ops = head();
    ops[2] = ['u64', 2 ** 60];
    expect(decodeError(craft(ops))).toBe('seq (high word 0x10000000) is not a safe integer');
  });

  it('rejects metadata that ends before its declared counts are read', () => {
    expect(decodeError(craft(head({ video: 1 })))).toBe(
      'length overflow: video[0].pts needs 8 bytes at metadata offset 37 but the metadata section has 0 left',
    );
  });

  it('rejects a section length that overflows the body', () => {
    expect(decodeError(craft([...head({ video: 1 }), ...frame()]))).toBe(
      'length overflow: video[0].planes[0] needs 8 bytes at message offset 104 but the body has 0 left',
    );
    expect(decodeError(craft([...head({ audio: 1 }), ...chunk({ bytes: 1 << 20 })], [new Uint8Array(16)]))).toMatch(
      /^length overflow: audio\[0\]\.samples needs 1048576 bytes at message offset \d+ but the body has 16 left$/,
    );
  });

  it('rejects trailing bytes in the metadata and in the body', () => {
    expect(decodeError(craft([...head(), ['u8', 0]]))).toBe('trailing bytes in metadata: 1 unread bytes after the last field');
    expect(decodeError(craft(head(), [new Uint8Array(8)]))).toBe('trailing bytes in body: 8 bytes after the last section');
  });

  it('rejects audio chunks with impossible shapes', () => {
    expect(decodeError(craft([...head({ audio: 1 }), ...chunk({ channels: 0 })]))).toBe('audio[0].channels is 0; it must be an integer in [1, 64]');
    expect(decodeError(craft([...head({ audio: 1 }), ...chunk({ sampleRate: 0 })]))).toBe(
      'audio[0].sampleRate is 0; it must be an integer in [1, 768000]',
    );
    expect(decodeError(craft([...head({ audio: 1 }), ...chunk({ channels: 2, bytes: 12 })], [new Uint8Array(12)]))).toBe(
      'audio[0].samples has 12 bytes, not a whole number of 2-channel float32 frames',
    );
  });

  it('rejects non-zero padding after a section', () => {
    const bytes = craft([...head({ video: 1 }), ...frame({ width: 3, planes: [6] })], [new Uint8Array(6)]);
    const bad = patched(bytes, (_v, b) => {
      b[b.length - 1] = 1;
    });
    expect(decodeError(bad)).toBe(`non-zero padding byte 0x1 at message offset ${bytes.length - 1}`);
  });
});

describe('FrameBatch encoding refuses batches the decoder would reject', () => {
  it('refuses a plane of the wrong size', () => {
    expect(encodeError(frameBatch([{ ...grayFrame(0, 4, 2), planes: [new Uint8Array(7)] }], []))).toBe('video[0].planes[0] has 7 bytes; gray 4x2 needs 8');
  });

  it('refuses the wrong number of planes', () => {
    expect(encodeError(frameBatch([{ ...yuvFrame(0, 4, 2), planes: [new Uint8Array(8)] }], []))).toBe('video[0] has 1 planes; yuv420p needs 3');
  });

  it('refuses an unknown pixel format', () => {
    expect(encodeError(frameBatch([{ ...grayFrame(0, 4, 2), format: 'rgb24' as 'gray' }], []))).toBe('invalid pixel format "rgb24" in video[0].format');
  });

  it('refuses non-finite and non-integer numbers', () => {
    expect(encodeError(frameBatch([{ ...grayFrame(0, 4, 2), pts: NaN }], []))).toBe('video[0].pts is NaN; it must be a finite number');
    expect(encodeError(frameBatch([], [], { seq: 1.5 }))).toBe('seq is 1.5; it must be a non-negative safe integer');
    expect(encodeError(frameBatch([], [], { endSec: -Infinity }))).toBe('endSec is -Infinity; it must be a finite number');
  });

  it('refuses a decodeErrors that is not an integer in the u32 range', () => {
    const withErrors = (decodeErrors: number): FrameBatch => frameBatch([grayFrame(0, 4, 2), { ...grayFrame(1, 4, 2), decodeErrors }], []);
    expect(encodeError(withErrors(-1))).toBe('video[1].decodeErrors is -1; it must be an integer in [0, 4294967295]');
    expect(encodeError(withErrors(2.5))).toBe('video[1].decodeErrors is 2.5; it must be an integer in [0, 4294967295]');
    expect(encodeError(withErrors(NaN))).toBe('video[1].decodeErrors is NaN; it must be an integer in [0, 4294967295]');
    expect(encodeError(withErrors(Infinity))).toBe('video[1].decodeErrors is Infinity; it must be an integer in [0, 4294967295]');
    expect(encodeError(withErrors(2 ** 32))).toBe('video[1].decodeErrors is 4294967296; it must be an integer in [0, 4294967295]');
    expect(encodeError(withErrors('3' as unknown as number))).toBe('video[1].decodeErrors is a string; it must be an integer in [0, 4294967295]');
  });

  it('refuses audio whose sample count is not a whole number of frames', () => {
    expect(encodeError(frameBatch([], [{ ...audioChunk(0, 2, 2), samples: new Float32Array(3) }]))).toBe(
      'audio[0].samples has 3 samples, not a multiple of 2 channels',
    );
  });

  it('refuses strings that cannot round-trip or are too long', () => {
    expect(encodeError(frameBatch([], [], { streamId: 'an-\uD800' }))).toBe('streamId contains a lone UTF-16 surrogate and cannot be written as UTF-8');
    expect(encodeError(frameBatch([], [], { streamId: 'é'.repeat(513) }))).toBe('streamId is 1026 bytes of UTF-8, over the limit of 1024');
  });
});
