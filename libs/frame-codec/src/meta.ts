/**
 * Readers and writers for the two sections of a message: the metadata section (small, parsed
 * field by field with bounds checks) and the body (large byte sections handed out as views).
 */
import { CodecError } from '@framewatch/errors';
import { type CheckContext, fail } from './checks';

const utf8Encoder = new TextEncoder();
// fatal: malformed UTF-8 is an error, not U+FFFD; ignoreBOM: a leading U+FEFF is data, so that
// every string round-trips exactly.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// A lone surrogate cannot be written as UTF-8; TextEncoder would silently replace it with U+FFFD
// and the string would come back different.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const TWO_POW_32 = 0x1_0000_0000;
/** Largest high word of a u64 that still gives a safe integer (2^53 - 1). */
const MAX_SAFE_HIGH_WORD = 0x1f_ffff;

/** Rounds a byte offset up to the next multiple of 8, the alignment of every section. */
export function align8(n: number): number {
  return (n + 7) & ~7;
}

/**
 * Where metadata fields go. Serialisers run twice over the same sink interface: once with a
 * {@link MetaSizer} to learn the exact size, then with a {@link MetaWriter} into the message, so
 * that the encoder allocates exactly once.
 */
export interface MetaSink {
  u8(value: number): void;
  u16(value: number): void;
  u32(value: number): void;
  /** A non-negative safe integer as a little-endian u64. */
  u64(value: number): void;
  f64(value: number): void;
  /** A UTF-8 string behind a u16 byte length; `what` names it in errors. */
  str(value: string, maxBytes: number, what: string): void;
}

function utf8Length(ctx: CheckContext, value: string, maxBytes: number, what: string): number {
  if (typeof value !== 'string') fail(ctx, `${what} is a ${typeof value}; it must be a string`);
  if (loneSurrogate.test(value)) fail(ctx, `${what} contains a lone UTF-16 surrogate and cannot be written as UTF-8`);
  const length = Buffer.byteLength(value, 'utf8');
  if (length > maxBytes) fail(ctx, `${what} is ${length} bytes of UTF-8, over the limit of ${maxBytes}`);
  return length;
}

/** A {@link MetaSink} that only counts bytes (and validates strings). */
export class MetaSizer implements MetaSink {
  size = 0;
  constructor(private readonly ctx: CheckContext) {}
  u8(): void {
    this.size += 1;
  }
  u16(): void {
    this.size += 2;
  }
  u32(): void {
    this.size += 4;
  }
  u64(): void {
    this.size += 8;
  }
  f64(): void {
    this.size += 8;
  }
  str(value: string, maxBytes: number, what: string): void {
    this.size += 2 + utf8Length(this.ctx, value, maxBytes, what);
  }
}

/** A {@link MetaSink} writing little-endian fields into a message buffer. */
export class MetaWriter implements MetaSink {
  private readonly view: DataView;
  constructor(
    private readonly ctx: CheckContext,
    private readonly out: Uint8Array,
    public pos: number,
  ) {
    this.view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  }
  u8(value: number): void {
    this.view.setUint8(this.pos, value);
    this.pos += 1;
  }
  u16(value: number): void {
    this.view.setUint16(this.pos, value, true);
    this.pos += 2;
  }
  u32(value: number): void {
    this.view.setUint32(this.pos, value, true);
    this.pos += 4;
  }
  u64(value: number): void {
    this.view.setUint32(this.pos, value % TWO_POW_32, true);
    this.view.setUint32(this.pos + 4, Math.floor(value / TWO_POW_32), true);
    this.pos += 8;
  }
  f64(value: number): void {
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }
  str(value: string, maxBytes: number, what: string): void {
    const length = utf8Length(this.ctx, value, maxBytes, what);
    this.u16(length);
    utf8Encoder.encodeInto(value, this.out.subarray(this.pos, this.pos + length));
    this.pos += length;
  }
}

/**
 * Reads metadata fields, checking every read against the bytes the section declared. `what`
 * names the field in error messages (`video[2].width`).
 */
export class MetaReader {
  private readonly view: DataView;
  private pos = 0;

  constructor(
    private readonly ctx: CheckContext,
    private readonly bytes: Uint8Array,
    private readonly start: number,
    private readonly length: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset + start, length);
  }

  private need(n: number, what: string): number {
    const at = this.pos;
    if (n > this.length - at) {
      fail(this.ctx, `length overflow: ${what} needs ${n} bytes at metadata offset ${at} but the metadata section has ${this.length - at} left`);
    }
    this.pos = at + n;
    return at;
  }

  u8(what: string): number {
    return this.view.getUint8(this.need(1, what));
  }
  u16(what: string): number {
    return this.view.getUint16(this.need(2, what), true);
  }
  u32(what: string): number {
    return this.view.getUint32(this.need(4, what), true);
  }
  u64(what: string): number {
    const at = this.need(8, what);
    const low = this.view.getUint32(at, true);
    const high = this.view.getUint32(at + 4, true);
    if (high > MAX_SAFE_HIGH_WORD) fail(this.ctx, `${what} (high word 0x${high.toString(16)}) is not a safe integer`);
    return high * TWO_POW_32 + low;
  }
  f64(what: string): number {
    return this.view.getFloat64(this.need(8, what), true);
  }
  bool(what: string): boolean {
    const value = this.u8(what);
    if (value > 1) fail(this.ctx, `invalid boolean ${value} in ${what} (must be 0 or 1)`);
    return value === 1;
  }
  str(maxBytes: number, what: string): string {
    const length = this.u16(`${what} length`);
    if (length > maxBytes) fail(this.ctx, `${what} is ${length} bytes of UTF-8, over the limit of ${maxBytes}`);
    const at = this.start + this.need(length, what);
    try {
      return utf8Decoder.decode(this.bytes.subarray(at, at + length));
    } catch (err) {
      throw new CodecError(`${this.ctx}: invalid UTF-8 in ${what}`, { cause: err });
    }
  }
  /** Asserts that the whole section was consumed. */
  end(): void {
    if (this.pos !== this.length) fail(this.ctx, `trailing bytes in metadata: ${this.length - this.pos} unread bytes after the last field`);
  }
}

/**
 * Hands out the body's sections in order as offsets into the message, checking each declared
 * length against the bytes left and each section's padding for zeros (so that the encoding is
 * canonical and no stray bytes can hide in it).
 */
export class BodyReader {
  private pos: number;

  constructor(
    private readonly ctx: CheckContext,
    private readonly bytes: Uint8Array,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
  }

  /** Returns the message offset of the next section of `length` bytes. */
  take(length: number, what: string): number {
    const at = this.pos;
    const padded = align8(length);
    if (padded > this.end - at) {
      fail(this.ctx, `length overflow: ${what} needs ${length} bytes at message offset ${at} but the body has ${this.end - at} left`);
    }
    expectZeroPadding(this.ctx, this.bytes, at + length, at + padded);
    this.pos = at + padded;
    return at;
  }

  /** Asserts that every body byte belongs to a section. */
  finish(): void {
    if (this.pos !== this.end) fail(this.ctx, `trailing bytes in body: ${this.end - this.pos} bytes after the last section`);
  }
}

/** Checks that `bytes[from, to)` are all zero. */
export function expectZeroPadding(ctx: CheckContext, bytes: Uint8Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    if (bytes[i] !== 0) fail(ctx, `non-zero padding byte 0x${bytes[i].toString(16)} at message offset ${i}`);
  }
}
