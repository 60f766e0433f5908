/**
 * DetectionBatch messages. Everything is metadata (the body is empty), little-endian:
 *
 * ```
 * str streamId · u64 seq · str group · u8 final
 * u32 detectorCount · str per detector
 * u32 keyCount · str per key              (every score and detail key, once, in first-use order)
 * u32 scoreCount
 * per FrameScore: u8 target (1 video, 2 audio) · u8 hasDetail · u64 index · f64 pts
 *                 · f64 durationSec · u16 n · n × (u16 keyIndex · f64 score)
 *                 · if hasDetail: u16 m · m × (u16 keyIndex · f64 value)
 * ```
 *
 * Keys go through a table because the same few names (`black`, `freeze.diff`…) repeat on every
 * frame. Numbers stay f64 so that scores round-trip exactly.
 */
import {
  type CheckContext,
  expectCount,
  expectFinite,
  expectNonNegative,
  expectSafeUint,
  expectUnitInterval,
  fail,
} from './checks';
import { CodecLimits, type EncodeOptions, MessageKind, openMessage, sealMessage } from './format';
import type { MetaReader, MetaSink } from './meta';
import { type DetectionBatch, type FrameScore, ScoreTarget } from './types';

const ENCODE: CheckContext = 'cannot encode DetectionBatch';
const DECODE: CheckContext = 'cannot decode DetectionBatch';

const targetCode: Record<ScoreTarget, number> = { video: 1, audio: 2 };
const targetByCode: ReadonlyMap<number, ScoreTarget> = new Map([
  [1, ScoreTarget.video],
  [2, ScoreTarget.audio],
]);

/**
 * Encodes a DetectionBatch into one binary message.
 *
 * @throws CodecError when the batch breaks the data model: a score outside [0, 1], a non-finite
 *   time or detail value, an unknown target, a count over {@link CodecLimits}…
 * @example
 * const bytes = encodeDetectionBatch(await detector.detect(batch));
 * res.type('application/x-framewatch').send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
 */
export function encodeDetectionBatch(batch: DetectionBatch, options: EncodeOptions = {}): Uint8Array {
  const keys = validateAndCollectKeys(batch);
  return sealMessage(ENCODE, MessageKind.detectionBatch, (sink) => writeMeta(sink, batch, keys), [], options);
}

function validateAndCollectKeys(batch: DetectionBatch): Map<string, number> {
  if (typeof batch !== 'object' || batch === null) fail(ENCODE, 'batch is not an object');
  expectSafeUint(ENCODE, batch.seq, 'seq');
  if (typeof batch.final !== 'boolean') fail(ENCODE, `final is a ${typeof batch.final}; it must be a boolean`);
  if (!Array.isArray(batch.detectors)) fail(ENCODE, 'detectors is not an array');
  if (!Array.isArray(batch.scores)) fail(ENCODE, 'scores is not an array');
  expectCount(ENCODE, batch.detectors.length, CodecLimits.maxDetectors, 'detector');
  expectCount(ENCODE, batch.scores.length, CodecLimits.maxScores, 'score');
  const keys = new Map<string, number>();
  const collect = (record: Record<string, number>, what: string, check: typeof expectFinite): void => {
    if (typeof record !== 'object' || record === null) fail(ENCODE, `${what} is not an object`);
    const names = Object.keys(record);
    expectCount(ENCODE, names.length, CodecLimits.maxEntriesPerRecord, `${what} entry`);
    for (const name of names) {
      check(ENCODE, record[name], `${what}[${JSON.stringify(name)}]`);
      if (!keys.has(name)) keys.set(name, keys.size);
    }
  };
  batch.scores.forEach((score, i) => {
    const what = `scores[${i}]`;
    if (!Object.hasOwn(targetCode, score.target)) fail(ENCODE, `invalid score target ${JSON.stringify(score.target)} in ${what}.target`);
    expectSafeUint(ENCODE, score.index, `${what}.index`);
    expectFinite(ENCODE, score.pts, `${what}.pts`);
    expectNonNegative(ENCODE, score.durationSec, `${what}.durationSec`);
    collect(score.scores, `${what}.scores`, expectUnitInterval);
    if (score.detail !== undefined) collect(score.detail, `${what}.detail`, expectFinite);
  });
  expectCount(ENCODE, keys.size, CodecLimits.maxKeys, 'distinct key');
  return keys;
}

function writeMeta(sink: MetaSink, batch: DetectionBatch, keys: Map<string, number>): void {
  sink.str(batch.streamId, CodecLimits.maxStringBytes, 'streamId');
  sink.u64(batch.seq);
  sink.str(batch.group, CodecLimits.maxStringBytes, 'group');
  sink.u8(batch.final ? 1 : 0);
  sink.u32(batch.detectors.length);
  batch.detectors.forEach((name, i) => sink.str(name, CodecLimits.maxStringBytes, `detectors[${i}]`));
  sink.u32(keys.size);
  for (const key of keys.keys()) sink.str(key, CodecLimits.maxStringBytes, `key ${JSON.stringify(key.slice(0, 40))}`);
  sink.u32(batch.scores.length);
  const writeRecord = (record: Record<string, number>): void => {
    const names = Object.keys(record);
    sink.u16(names.length);
    for (const name of names) {
      sink.u16(keys.get(name) as number);
      sink.f64(record[name]);
    }
  };
  for (const score of batch.scores) {
    sink.u8(targetCode[score.target]);
    sink.u8(score.detail === undefined ? 0 : 1);
    sink.u64(score.index);
    sink.f64(score.pts);
    sink.f64(score.durationSec);
    writeRecord(score.scores);
    if (score.detail !== undefined) writeRecord(score.detail);
  }
}

/**
 * Decodes a DetectionBatch message. Every count is checked against {@link CodecLimits} and the
 * bytes present before it is used; scores must lie in [0, 1] and every other number must be
 * finite.
 *
 * @throws CodecError with a precise message, as {@link decodeFrameBatch} does, plus unknown
 *   score targets, key indexes outside the key table and duplicate keys.
 * @example
 * const detections = decodeDetectionBatch(new Uint8Array(await response.arrayBuffer()));
 * await aggregator.ingest(detections);
 */
export function decodeDetectionBatch(bytes: Uint8Array): DetectionBatch {
  const { meta, body } = openMessage(DECODE, bytes, MessageKind.detectionBatch);
  const streamId = meta.str(CodecLimits.maxStringBytes, 'streamId');
  const seq = meta.u64('seq');
  const group = meta.str(CodecLimits.maxStringBytes, 'group');
  const final = meta.bool('final');

  const detectorCount = meta.u32('detector count');
  expectCount(DECODE, detectorCount, CodecLimits.maxDetectors, 'detector');
  const detectors: string[] = [];
  for (let i = 0; i < detectorCount; i++) detectors.push(meta.str(CodecLimits.maxStringBytes, `detectors[${i}]`));

  const keyCount = meta.u32('key count');
  expectCount(DECODE, keyCount, CodecLimits.maxKeys, 'distinct key');
  const keys: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < keyCount; i++) {
    const key = meta.str(CodecLimits.maxStringBytes, `keys[${i}]`);
    if (seen.has(key)) fail(DECODE, `duplicate key ${JSON.stringify(key)} in keys[${i}]`);
    seen.add(key);
    keys.push(key);
  }

  const scoreCount = meta.u32('score count');
  expectCount(DECODE, scoreCount, CodecLimits.maxScores, 'score');
  const scores: FrameScore[] = [];
  for (let i = 0; i < scoreCount; i++) {
    const what = `scores[${i}]`;
    const code = meta.u8(`${what}.target`);
    const target = targetByCode.get(code);
    if (target === undefined) fail(DECODE, `invalid score target code ${code} in ${what}.target`);
    const hasDetail = meta.bool(`${what}.hasDetail`);
    const index = meta.u64(`${what}.index`);
    const pts = meta.f64(`${what}.pts`);
    expectFinite(DECODE, pts, `${what}.pts`);
    const durationSec = meta.f64(`${what}.durationSec`);
    expectNonNegative(DECODE, durationSec, `${what}.durationSec`);
    const score: FrameScore = { target, index, pts, durationSec, scores: readRecord(meta, keys, `${what}.scores`, expectUnitInterval) };
    if (hasDetail) score.detail = readRecord(meta, keys, `${what}.detail`, expectFinite);
    scores.push(score);
  }
  meta.end();
  body.finish();
  return { streamId, seq, group, detectors, scores, final };
}

function readRecord(meta: MetaReader, keys: readonly string[], what: string, check: typeof expectFinite): Record<string, number> {
  const count = meta.u16(`${what} count`);
  expectCount(DECODE, count, CodecLimits.maxEntriesPerRecord, `${what} entry`);
  const record: Record<string, number> = {};
  for (let j = 0; j < count; j++) {
    const keyIndex = meta.u16(`${what} key index`);
    if (keyIndex >= keys.length) fail(DECODE, `${what} refers to key index ${keyIndex} but the key table has ${keys.length} keys`);
    const key = keys[keyIndex];
    const value = meta.f64(`${what}[${JSON.stringify(key)}]`);
    check(DECODE, value, `${what}[${JSON.stringify(key)}]`);
    if (Object.hasOwn(record, key)) fail(DECODE, `duplicate key ${JSON.stringify(key)} in ${what}`);
    // defineProperty, not assignment: a key named "__proto__" must become data, not a prototype.
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return record;
}
