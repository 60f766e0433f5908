import { CodecError } from '@framewatch/errors';
import { decodeDetectionBatch, encodeDetectionBatch } from './detection-batch';
import { sealMessage } from './format';
import { detectionBatch } from './spec-helpers';
import type { DetectionBatch } from './types';

type Op = ['u8' | 'u16' | 'u32' | 'u64' | 'f64', number] | ['str', string];

/** Builds a correctly sealed DetectionBatch message from hand-written metadata fields. */
function craft(ops: Op[]): Uint8Array {
  return sealMessage(
    'test',
    'detectionBatch',
    (sink) => {
      for (const [kind, value] of ops) {
        if (kind === 'str') sink.str(value, 1024, 'test');
        else sink[kind](value);
      }
    },
    [],
    {},
  );
}

/** streamId "an", seq 1, group "g", final 0, detectors ["black"], keys. */
function head(keys: string[], scoreCount: number): Op[] {
  return [['str', 'an'], ['u64', 1], ['str', 'g'], ['u8', 0], ['u32', 1], ['str', 'black'], ['u32', keys.length], ...keys.map((k): Op => ['str', k]), ['u32', scoreCount]];
}

/** One FrameScore with the given entries (key index, value) and optional detail. */
function score(entries: [number, number][], o: { target?: number; hasDetail?: number; detail?: [number, number][]; durationSec?: number } = {}): Op[] {
  const ops: Op[] = [['u8', o.target ?? 1], ['u8', o.hasDetail ?? (o.detail ? 1 : 0)], ['u64', 0], ['f64', 0], ['f64', o.durationSec ?? 0.04], ['u16', entries.length]];
  for (const [k, v] of entries) ops.push(['u16', k], ['f64', v]);
  if (o.detail) {
    ops.push(['u16', o.detail.length]);
    for (const [k, v] of o.detail) ops.push(['u16', k], ['f64', v]);
  }
  return ops;
}

function decodeError(bytes: Uint8Array): string {
  try {
    decodeDetectionBatch(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return (err as CodecError).message.replace(/^cannot decode DetectionBatch: /, '');
  }
  throw new Error('decodeDetectionBatch accepted the message');
}

function encodeError(batch: DetectionBatch): string {
  try {
    encodeDetectionBatch(batch);
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return (err as CodecError).message.replace(/^cannot encode DetectionBatch: /, '');
  }
  throw new Error('encodeDetectionBatch accepted the batch');
}

const roundTrip = (batch: DetectionBatch): DetectionBatch => decodeDetectionBatch(encodeDetectionBatch(batch));

describe('DetectionBatch round trip', () => {
  it('round-trips scores with and without detail maps', () => {
    const batch = detectionBatch();
    const decoded = roundTrip(batch);
    expect(decoded).toEqual(batch);
    expect('detail' in decoded.scores[1]).toBe(false);
    expect(decoded.scores[2].detail).toEqual({});
  });

  it('round-trips an empty batch', () => {
    const batch = detectionBatch({ detectors: [], scores: [], group: '' });
    expect(roundTrip(batch)).toEqual(batch);
  });

  it('round-trips unicode detector names and keys', () => {
    const batch = detectionBatch({
      detectors: ['schwärze', '黑'],
      scores: [{ target: 'audio', index: 0, pts: 0, durationSec: 0.02, scores: { schwärze: 0.5, 黑: 1 }, detail: { 'ø.📈': -12.25 } }],
    });
    expect(roundTrip(batch)).toEqual(batch);
  });

  it('keeps a key named __proto__ as data instead of setting the prototype', () => {
    const scores = JSON.parse('{"__proto__": 0.5, "black": 1}') as Record<string, number>;
    const decoded = roundTrip(detectionBatch({ scores: [{ target: 'video', index: 0, pts: 0, durationSec: 0.04, scores }] }));
    expect(Object.getPrototypeOf(decoded.scores[0].scores)).toBe(Object.prototype);
    expect(Object.keys(decoded.scores[0].scores)).toEqual(['__proto__', 'black']);
    expect(Object.getOwnPropertyDescriptor(decoded.scores[0].scores, '__proto__')?.value).toBe(0.5);
  });

  it('writes each repeated key once', () => {
    const many = detectionBatch({
      scores: Array.from({ length: 100 }, (_, i) => ({ target: 'video' as const, index: i, pts: i / 25, durationSec: 0.04, scores: { black: 0, freeze: 0 } })),
    });
    const bytes = encodeDetectionBatch(many);
    expect(Buffer.from(bytes).toString('latin1').split('freeze').length - 1).toBe(2); // detectors list + key table
  });
});

describe('DetectionBatch decoding rejects malformed metadata', () => {
  it('accepts hand-built metadata that follows the documented layout', () => {
    const bytes = craft([...head(['black'], 1), ...score([[0, 0.75]], { detail: [[0, 3]] })]);
    expect(decodeDetectionBatch(bytes)).toEqual({
      streamId: 'an',
      seq: 1,
      group: 'g',
      final: false,
      detectors: ['black'],
      scores: [{ target: 'video', index: 0, pts: 0, durationSec: 0.04, scores: { black: 0.75 }, detail: { black: 3 } }],
    });
  });

  it('rejects a score outside [0, 1]', () => {
    expect(decodeError(craft([...head(['black'], 1), ...score([[0, 1.5]])]))).toBe('scores[0].scores["black"] is 1.5, outside [0, 1]');
    expect(decodeError(craft([...head(['black'], 1), ...score([[0, NaN]])]))).toBe('scores[0].scores["black"] is NaN; it must be a finite number');
  });

  it('rejects a non-finite detail value', () => {
    expect(decodeError(craft([...head(['black'], 1), ...score([], { detail: [[0, -Infinity]] })]))).toBe(
      'scores[0].detail["black"] is -Infinity; it must be a finite number',
    );
  });

  it('rejects a negative duration', () => {
    expect(decodeError(craft([...head([], 1), ...score([], { durationSec: -0.04 })]))).toBe('scores[0].durationSec is -0.04; it must not be negative');
  });

  it('rejects an invalid score target code', () => {
    expect(decodeError(craft([...head([], 1), ...score([], { target: 3 })]))).toBe('invalid score target code 3 in scores[0].target');
  });

  it('rejects an invalid hasDetail flag', () => {
    expect(decodeError(craft([...head([], 1), ...score([], { hasDetail: 7 })]))).toBe('invalid boolean 7 in scores[0].hasDetail (must be 0 or 1)');
  });

  it('rejects a key index outside the key table', () => {
    expect(decodeError(craft([...head(['black'], 1), ...score([[1, 0]])]))).toBe('scores[0].scores refers to key index 1 but the key table has 1 keys');
  });

  it('rejects duplicate keys in the key table and in a record', () => {
    expect(decodeError(craft(head(['black', 'black'], 0)))).toBe('duplicate key "black" in keys[1]');
    expect(decodeError(craft([...head(['black'], 1), ...score([[0, 0], [0, 1]])]))).toBe('duplicate key "black" in scores[0].scores');
  });

  it('rejects counts over the limits', () => {
    expect(decodeError(craft(head([], 16385)))).toBe('score count 16385 exceeds the limit of 16384');
    expect(decodeError(craft([['str', 'an'], ['u64', 1], ['str', 'g'], ['u8', 0], ['u32', 257]]))).toBe('detector count 257 exceeds the limit of 256');
    expect(decodeError(craft([...head([], 1), ['u8', 1], ['u8', 0], ['u64', 0], ['f64', 0], ['f64', 0], ['u16', 1025]]))).toBe(
      'scores[0].scores entry count 1025 exceeds the limit of 1024',
    );
  });

  it('rejects metadata that ends early and metadata with trailing bytes', () => {
    expect(decodeError(craft(head([], 1)))).toMatch(/^length overflow: scores\[0\]\.target needs 1 bytes at metadata offset \d+ but the metadata section has 0 left$/);
    expect(decodeError(craft([...head([], 0), ['u8', 9]]))).toBe('trailing bytes in metadata: 1 unread bytes after the last field');
  });
});

describe('DetectionBatch encoding refuses batches the decoder would reject', () => {
  const withScore = (s: Partial<DetectionBatch['scores'][number]>): DetectionBatch =>
    detectionBatch({ scores: [{ target: 'video', index: 0, pts: 0, durationSec: 0.04, scores: {}, ...s }] });

  it('refuses scores outside [0, 1] and non-finite detail', () => {
    expect(encodeError(withScore({ scores: { black: 1.01 } }))).toBe('scores[0].scores["black"] is 1.01, outside [0, 1]');
    expect(encodeError(withScore({ scores: { black: -0.1 } }))).toBe('scores[0].scores["black"] is -0.1, outside [0, 1]');
    expect(encodeError(withScore({ detail: { x: NaN } }))).toBe('scores[0].detail["x"] is NaN; it must be a finite number');
  });

  it('refuses an unknown target', () => {
    expect(encodeError(withScore({ target: 'subtitle' as 'video' }))).toBe('invalid score target "subtitle" in scores[0].target');
  });

  it('refuses a non-integer index', () => {
    expect(encodeError(withScore({ index: -1 }))).toBe('scores[0].index is -1; it must be a non-negative safe integer');
  });
});
