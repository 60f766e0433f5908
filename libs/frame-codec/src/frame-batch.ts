/**
 * FrameBatch messages. Metadata layout (after the envelope of format.ts, little-endian):
 *
 * ```
 * str streamId · u64 seq · f64 startSec · f64 endSec · u8 final · u32 videoCount · u32 audioCount
 * per video frame:  f64 pts · u64 index · u32 width · u32 height · u8 format (1 gray, 2 yuv420p)
 *                   · u8 planeCount · u32 byteLength per plane · u32 decodeErrors (0 when absent)
 * per audio chunk:  f64 pts · u64 index · u32 sampleRate · u16 channels · u32 sampleByteLength
 * ```
 *
 * (`str` is a u16 UTF-8 byte length and the bytes; `u64` holds a safe integer.) The body holds
 * every video plane in frame order, then every chunk's samples as little-endian float32, each
 * section 8-aligned. A frame's `decodeErrors` is written as 0 when absent and decoded only when
 * it is above 0, so a frame without reports round-trips without the field (format version 2;
 * version 1, still read, has no such field).
 */
import {
  type CheckContext,
  expectCount,
  expectFinite,
  expectIntInRange,
  expectSafeUint,
  fail,
} from './checks';
import { CodecLimits, type EncodeOptions, MessageKind, openMessage, sealMessage } from './format';
import type { MetaReader, MetaSink } from './meta';
import { type AudioChunk, type FrameBatch, PixelFormat, type VideoFrame } from './types';

const ENCODE: CheckContext = 'cannot encode FrameBatch';
const DECODE: CheckContext = 'cannot decode FrameBatch';

/** Largest value of a u32 metadata field, such as a frame's `decodeErrors`. */
const MAX_U32 = 0xffff_ffff;

const formatCode: Record<PixelFormat, number> = { gray: 1, yuv420p: 2 };
const formatByCode: ReadonlyMap<number, PixelFormat> = new Map([
  [1, PixelFormat.gray],
  [2, PixelFormat.yuv420p],
]);

// Float32Array uses the host's byte order and the wire is little-endian; on the (rare)
// big-endian host, samples are swapped through a DataView instead of viewed or copied raw.
const hostIsLittleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Byte length of each plane of a frame, tightly packed; chroma of yuv420p rounds up on odd sizes. */
function planeSizes(format: PixelFormat, width: number, height: number): number[] {
  const luma = width * height;
  if (format === PixelFormat.gray) return [luma];
  const chroma = Math.ceil(width / 2) * Math.ceil(height / 2);
  return [luma, chroma, chroma];
}

/**
 * Encodes a FrameBatch into one binary message (one allocation of its exact size). Plane and
 * sample bytes are copied in once; nothing else is serialised per pixel.
 *
 * @throws CodecError when the batch breaks the data model (a plane of the wrong size, a
 *   non-finite time, an unknown pixel format, a count over {@link CodecLimits}…), so that the
 *   sender fails rather than the receiver.
 * @example
 * const bytes = encodeFrameBatch(batch);
 * await fetch(url, { method: 'POST', body: bytes, headers: { 'content-type': 'application/x-framewatch' } });
 */
export function encodeFrameBatch(batch: FrameBatch, options: EncodeOptions = {}): Uint8Array {
  const sections = collectSections(batch);
  return sealMessage(ENCODE, MessageKind.frameBatch, (sink) => writeMeta(sink, batch), sections, options);
}

function collectSections(batch: FrameBatch): Uint8Array[] {
  if (typeof batch !== 'object' || batch === null) fail(ENCODE, 'batch is not an object');
  expectSafeUint(ENCODE, batch.seq, 'seq');
  expectFinite(ENCODE, batch.startSec, 'startSec');
  expectFinite(ENCODE, batch.endSec, 'endSec');
  if (typeof batch.final !== 'boolean') fail(ENCODE, `final is a ${typeof batch.final}; it must be a boolean`);
  if (!Array.isArray(batch.video)) fail(ENCODE, 'video is not an array');
  if (!Array.isArray(batch.audio)) fail(ENCODE, 'audio is not an array');
  expectCount(ENCODE, batch.video.length, CodecLimits.maxVideoFrames, 'video frame');
  expectCount(ENCODE, batch.audio.length, CodecLimits.maxAudioChunks, 'audio chunk');

  const sections: Uint8Array[] = [];
  batch.video.forEach((frame, i) => {
    const what = `video[${i}]`;
    expectFinite(ENCODE, frame.pts, `${what}.pts`);
    expectSafeUint(ENCODE, frame.index, `${what}.index`);
    expectIntInRange(ENCODE, frame.width, 1, CodecLimits.maxDimension, `${what}.width`);
    expectIntInRange(ENCODE, frame.height, 1, CodecLimits.maxDimension, `${what}.height`);
    if (!Object.hasOwn(formatCode, frame.format)) fail(ENCODE, `invalid pixel format ${JSON.stringify(frame.format)} in ${what}.format`);
    const sizes = planeSizes(frame.format, frame.width, frame.height);
    if (!Array.isArray(frame.planes) || frame.planes.length !== sizes.length) {
      fail(ENCODE, `${what} has ${Array.isArray(frame.planes) ? frame.planes.length : 'no'} planes; ${frame.format} needs ${sizes.length}`);
    }
    frame.planes.forEach((plane, p) => {
      if (!(plane instanceof Uint8Array)) fail(ENCODE, `${what}.planes[${p}] is not a Uint8Array`);
      if (plane.byteLength !== sizes[p]) {
        fail(ENCODE, `${what}.planes[${p}] has ${plane.byteLength} bytes; ${frame.format} ${frame.width}x${frame.height} needs ${sizes[p]}`);
      }
      sections.push(plane);
    });
    if (frame.decodeErrors !== undefined) expectIntInRange(ENCODE, frame.decodeErrors, 0, MAX_U32, `${what}.decodeErrors`);
  });
  batch.audio.forEach((chunk, i) => {
    const what = `audio[${i}]`;
    expectFinite(ENCODE, chunk.pts, `${what}.pts`);
    expectSafeUint(ENCODE, chunk.index, `${what}.index`);
    expectIntInRange(ENCODE, chunk.sampleRate, 1, CodecLimits.maxSampleRate, `${what}.sampleRate`);
    expectIntInRange(ENCODE, chunk.channels, 1, CodecLimits.maxChannels, `${what}.channels`);
    if (!(chunk.samples instanceof Float32Array)) fail(ENCODE, `${what}.samples is not a Float32Array`);
    expectCount(ENCODE, chunk.samples.length, CodecLimits.maxSamplesPerChunk, `${what}.samples`);
    if (chunk.samples.length % chunk.channels !== 0) {
      fail(ENCODE, `${what}.samples has ${chunk.samples.length} samples, not a multiple of ${chunk.channels} channels`);
    }
    sections.push(samplesAsLittleEndianBytes(chunk.samples));
  });
  return sections;
}

function writeMeta(sink: MetaSink, batch: FrameBatch): void {
  sink.str(batch.streamId, CodecLimits.maxStringBytes, 'streamId');
  sink.u64(batch.seq);
  sink.f64(batch.startSec);
  sink.f64(batch.endSec);
  sink.u8(batch.final ? 1 : 0);
  sink.u32(batch.video.length);
  sink.u32(batch.audio.length);
  for (const frame of batch.video) {
    sink.f64(frame.pts);
    sink.u64(frame.index);
    sink.u32(frame.width);
    sink.u32(frame.height);
    sink.u8(formatCode[frame.format]);
    sink.u8(frame.planes.length);
    for (const plane of frame.planes) sink.u32(plane.byteLength);
    sink.u32(frame.decodeErrors ?? 0);
  }
  for (const chunk of batch.audio) {
    sink.f64(chunk.pts);
    sink.u64(chunk.index);
    sink.u32(chunk.sampleRate);
    sink.u16(chunk.channels);
    sink.u32(chunk.samples.byteLength);
  }
}

function samplesAsLittleEndianBytes(samples: Float32Array): Uint8Array {
  if (hostIsLittleEndian) return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  const out = new Uint8Array(samples.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setFloat32(i * 4, samples[i], true);
  return out;
}

/**
 * Decodes a FrameBatch message. Video planes are views into `bytes` (no copies): keep `bytes`
 * alive and unmodified for as long as the batch is used. Audio samples are views too when
 * `bytes.byteOffset` is a multiple of 4 (sections are 8-aligned relative to the message start,
 * so any buffer Node allocates for a request body qualifies); otherwise, e.g. a message sliced
 * out of a larger buffer at an odd offset, each chunk's samples are copied into a new
 * Float32Array, since a Float32Array cannot start at an unaligned byte.
 *
 * Every length is checked against the bytes present and against {@link CodecLimits} before it
 * is used; metadata numbers must be finite. Sample values are not inspected (they are media
 * data: float audio may legitimately exceed [-1, 1]).
 *
 * @throws CodecError with a precise message on bad magic, unsupported version, wrong kind,
 *   truncation, trailing bytes, length overflow, checksum mismatch, invalid enum or boolean
 *   values, non-finite numbers, out-of-range sizes or counts, and invalid UTF-8.
 * @example
 * const batch = decodeFrameBatch(new Uint8Array(await request.arrayBuffer()));
 * const luma = batch.video[0]?.planes[0]; // a view into the request body
 */
export function decodeFrameBatch(bytes: Uint8Array): FrameBatch {
  const { meta, body, version } = openMessage(DECODE, bytes, MessageKind.frameBatch);
  const streamId = meta.str(CodecLimits.maxStringBytes, 'streamId');
  const seq = meta.u64('seq');
  const startSec = finite(meta, 'startSec');
  const endSec = finite(meta, 'endSec');
  const final = meta.bool('final');
  const videoCount = meta.u32('video count');
  expectCount(DECODE, videoCount, CodecLimits.maxVideoFrames, 'video frame');
  const audioCount = meta.u32('audio count');
  expectCount(DECODE, audioCount, CodecLimits.maxAudioChunks, 'audio chunk');

  const video: VideoFrame[] = [];
  for (let i = 0; i < videoCount; i++) {
    const what = `video[${i}]`;
    const pts = finite(meta, `${what}.pts`);
    const index = meta.u64(`${what}.index`);
    const width = meta.u32(`${what}.width`);
    expectIntInRange(DECODE, width, 1, CodecLimits.maxDimension, `${what}.width`);
    const height = meta.u32(`${what}.height`);
    expectIntInRange(DECODE, height, 1, CodecLimits.maxDimension, `${what}.height`);
    const code = meta.u8(`${what}.format`);
    const format = formatByCode.get(code);
    if (format === undefined) fail(DECODE, `invalid pixel format code ${code} in ${what}.format`);
    const sizes = planeSizes(format, width, height);
    const planeCount = meta.u8(`${what}.planeCount`);
    if (planeCount !== sizes.length) fail(DECODE, `${what} declares ${planeCount} planes; ${format} has ${sizes.length}`);
    const planes: Uint8Array[] = [];
    for (let p = 0; p < planeCount; p++) {
      const length = meta.u32(`${what}.planes[${p}] length`);
      if (length !== sizes[p]) fail(DECODE, `${what}.planes[${p}] has ${length} bytes; ${format} ${width}x${height} needs ${sizes[p]}`);
      const at = body.take(length, `${what}.planes[${p}]`);
      planes.push(new Uint8Array(bytes.buffer, bytes.byteOffset + at, length));
    }
    // Version 1 had no such field.
    const decodeErrors = version >= 2 ? meta.u32(`${what}.decodeErrors`) : 0;
    const frame: VideoFrame = { pts, index, width, height, format, planes };
    // Only set when there were reports, so that frames without any decode as they were encoded.
    if (decodeErrors > 0) frame.decodeErrors = decodeErrors;
    video.push(frame);
  }

  const audio: AudioChunk[] = [];
  for (let i = 0; i < audioCount; i++) {
    const what = `audio[${i}]`;
    const pts = finite(meta, `${what}.pts`);
    const index = meta.u64(`${what}.index`);
    const sampleRate = meta.u32(`${what}.sampleRate`);
    expectIntInRange(DECODE, sampleRate, 1, CodecLimits.maxSampleRate, `${what}.sampleRate`);
    const channels = meta.u16(`${what}.channels`);
    expectIntInRange(DECODE, channels, 1, CodecLimits.maxChannels, `${what}.channels`);
    const length = meta.u32(`${what}.samples length`);
    if (length % (4 * channels) !== 0) {
      fail(DECODE, `${what}.samples has ${length} bytes, not a whole number of ${channels}-channel float32 frames`);
    }
    expectCount(DECODE, length / 4, CodecLimits.maxSamplesPerChunk, `${what}.samples`);
    const at = body.take(length, `${what}.samples`);
    audio.push({ pts, index, sampleRate, channels, samples: readSamples(bytes, at, length / 4) });
  }
  meta.end();
  body.finish();
  return { streamId, seq, startSec, endSec, video, audio, final };
}

function finite(meta: MetaReader, what: string): number {
  const value = meta.f64(what);
  expectFinite(DECODE, value, what);
  return value;
}

function readSamples(bytes: Uint8Array, at: number, count: number): Float32Array {
  const byteOffset = bytes.byteOffset + at;
  if (!hostIsLittleEndian) {
    const view = new DataView(bytes.buffer, byteOffset, count * 4);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  if (byteOffset % 4 === 0) return new Float32Array(bytes.buffer, byteOffset, count);
  const copy = new Float32Array(count);
  new Uint8Array(copy.buffer).set(bytes.subarray(at, at + count * 4));
  return copy;
}
