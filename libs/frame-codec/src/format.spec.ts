import { CodecError } from '@framewatch/errors';
import { decodeDetectionBatch, encodeDetectionBatch } from './detection-batch';
import { CODEC_HEADER_BYTES, CODEC_MAGIC, CODEC_VERSION, MessageKind, peekMessageHeader, peekMessageKind } from './format';
import { decodeFrameBatch, encodeFrameBatch } from './frame-batch';
import { At, audioChunk, detectionBatch, frameBatch, grayFrame, patched } from './spec-helpers';

const message = (): Uint8Array => encodeFrameBatch(frameBatch([grayFrame(0, 4, 2)], [audioChunk(0, 2, 3)]));

function decodeError(bytes: Uint8Array): CodecError {
  try {
    decodeFrameBatch(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return err as CodecError;
  }
  throw new Error('decodeFrameBatch accepted the message');
}

describe('message envelope', () => {
  it('starts with the magic, the version and the kind, and declares its own length', () => {
    const bytes = message();
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe(CODEC_MAGIC);
    expect(peekMessageHeader(bytes)).toEqual({ kind: 'frameBatch', version: CODEC_VERSION, byteLength: bytes.length, bodyChecksum: true });
    expect(peekMessageKind(encodeDetectionBatch(detectionBatch()))).toBe(MessageKind.detectionBatch);
  });

  it('peeks at the kind from the header bytes alone', () => {
    expect(peekMessageKind(message().subarray(0, CODEC_HEADER_BYTES))).toBe('frameBatch');
  });

  it('is a multiple of 8 bytes long with every section 8-aligned', () => {
    const bytes = message();
    expect(bytes.length % 8).toBe(0);
    const decoded = decodeFrameBatch(bytes);
    expect(decoded.audio[0].samples.byteOffset % 8).toBe(0);
    expect(decoded.video[0].planes[0].byteOffset % 8).toBe(0);
  });

  it('rejects a non-Uint8Array', () => {
    expect(() => decodeFrameBatch([1, 2, 3] as unknown as Uint8Array)).toThrow('cannot decode FrameBatch: expected a Uint8Array');
  });

  it('rejects input shorter than the header as truncated', () => {
    expect(decodeError(message().subarray(0, 31)).message).toBe('cannot decode FrameBatch: truncated input: 31 bytes is shorter than the 32-byte header');
    expect(() => peekMessageKind(new Uint8Array(0))).toThrow('truncated input: 0 bytes');
  });

  it('rejects bad magic, naming the bytes it found', () => {
    const bytes = message();
    bytes.set([0x47, 0x45, 0x54, 0x20], 0);
    expect(decodeError(bytes).message).toBe('cannot decode FrameBatch: bad magic: expected "FWCB" (46 57 43 42), got 47 45 54 20');
  });

  it('writes format version 2', () => {
    expect(CODEC_VERSION).toBe(2);
    expect(new DataView(message().buffer).getUint16(At.version, true)).toBe(2);
  });

  it('reads the version-1 header still, and rejects version 0 and an unknown later version', () => {
    // A version-1 header on a version-2 body: the header is accepted, the body then fails to parse.
    const v1 = patched(message(), (v) => v.setUint16(At.version, 1, true));
    expect(peekMessageHeader(v1).version).toBe(1);
    for (const version of [0, 3]) {
      const bytes = patched(message(), (v) => v.setUint16(At.version, version, true));
      expect(decodeError(bytes).message).toBe(`cannot decode FrameBatch: unsupported format version ${version} (this decoder reads versions 1 to 2)`);
      expect(() => peekMessageHeader(bytes)).toThrow(`cannot read frame-codec header: unsupported format version ${version} (this decoder reads versions 1 to 2)`);
    }
  });

  it('rejects a message of the wrong kind', () => {
    expect(decodeError(encodeDetectionBatch(detectionBatch())).message).toBe(
      'cannot decode FrameBatch: wrong message kind: expected frameBatch, got detectionBatch',
    );
    expect(() => decodeDetectionBatch(message())).toThrow('cannot decode DetectionBatch: wrong message kind: expected detectionBatch, got frameBatch');
  });

  it('rejects an unknown kind code', () => {
    const bytes = patched(message(), (v) => v.setUint8(At.kind, 9));
    expect(decodeError(bytes).message).toBe('cannot decode FrameBatch: invalid message kind code 9');
  });

  it('rejects unknown flag bits', () => {
    const bytes = patched(message(), (v) => v.setUint8(At.flags, 0x81));
    expect(decodeError(bytes).message).toBe('cannot decode FrameBatch: unsupported flags 0x81');
  });

  it('rejects input shorter than the declared length as truncated', () => {
    const bytes = message();
    expect(decodeError(bytes.subarray(0, bytes.length - 1)).message).toBe(
      `cannot decode FrameBatch: truncated input: the message declares ${bytes.length} bytes but only ${bytes.length - 1} were given`,
    );
  });

  it('rejects trailing bytes after the declared length', () => {
    const bytes = message();
    const longer = new Uint8Array(bytes.length + 8);
    longer.set(bytes);
    expect(decodeError(longer).message).toBe(
      `cannot decode FrameBatch: trailing bytes: the message declares ${bytes.length} bytes but ${bytes.length + 8} were given`,
    );
  });

  it('rejects section lengths that overflow the message', () => {
    const bytes = patched(message(), (v) => v.setUint32(At.metaBytes, 0xffff_fff0, true));
    expect(decodeError(bytes).message).toMatch(
      /^cannot decode FrameBatch: length overflow: header declares 4294967280 metadata bytes and \d+ body bytes, which do not make up the \d+-byte message$/,
    );
  });

  it('rejects a body length that is not a multiple of 8', () => {
    const full = message();
    const bytes = patched(full.slice(0, full.length - 4), (v) => {
      v.setUint32(At.totalBytes, full.length - 4, true);
      v.setUint32(At.bodyBytes, v.getUint32(At.bodyBytes, true) - 4, true);
    });
    expect(decodeError(bytes).message).toMatch(/^cannot decode FrameBatch: length overflow: body length \d+ is not a multiple of 8$/);
  });

  it('rejects a non-zero reserved field', () => {
    const bytes = patched(message(), (v) => v.setUint32(At.reserved, 1, true));
    expect(decodeError(bytes).message).toBe('cannot decode FrameBatch: non-zero reserved header field 0x1');
  });

  it('rejects a header checksum mismatch when metadata changed', () => {
    const bytes = message();
    bytes[At.meta + 5] ^= 0x01;
    expect(decodeError(bytes).message).toMatch(/^cannot decode FrameBatch: header checksum mismatch: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}$/);
  });

  it('rejects a header checksum mismatch when a checksum field changed', () => {
    const bytes = message();
    bytes[At.bodyChecksum] ^= 0x80;
    expect(decodeError(bytes).message).toMatch(/^cannot decode FrameBatch: header checksum mismatch/);
    const flipped = message();
    flipped[At.headerChecksum] ^= 0x01;
    expect(decodeError(flipped).message).toMatch(/^cannot decode FrameBatch: header checksum mismatch/);
  });

  it('rejects a body checksum mismatch when a pixel changed', () => {
    const bytes = message();
    const plane = decodeFrameBatch(bytes).video[0].planes[0];
    bytes[plane.byteOffset + 3] ^= 0x10;
    expect(decodeError(bytes).message).toMatch(/^cannot decode FrameBatch: body checksum mismatch: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}$/);
  });

  it('does not checksum the body when the writer opted out, but still checks the header', () => {
    const bytes = encodeFrameBatch(frameBatch([grayFrame(0, 4, 2)], []), { bodyChecksum: false });
    expect(peekMessageHeader(bytes).bodyChecksum).toBe(false);
    bytes[bytes.length - 1] ^= 0x10;
    expect(decodeFrameBatch(bytes).video[0].planes[0][7]).toBe(grayFrame(0, 4, 2).planes[0][7] ^ 0x10);
    bytes[At.meta] ^= 0x01;
    expect(decodeError(bytes).message).toMatch(/header checksum mismatch/);
  });

  it('rejects a body checksum value when the flag says there is none', () => {
    const unflagged = encodeFrameBatch(frameBatch([grayFrame(0, 4, 2)], []), { bodyChecksum: false });
    const bytes = patched(unflagged, (v) => v.setUint32(At.bodyChecksum, 0x1234, true));
    expect(decodeError(bytes).message).toBe('cannot decode FrameBatch: body checksum field is 0x00001234 but the body-checksum flag is clear');
  });

  it('rejects non-zero padding after the metadata', () => {
    const bytes = message();
    const metaEnd = At.meta + new DataView(bytes.buffer).getUint32(At.metaBytes, true);
    expect(metaEnd % 8).not.toBe(0);
    const bad = patched(bytes, (_v, b) => {
      b[metaEnd] = 0xaa;
    });
    expect(decodeError(bad).message).toBe(`cannot decode FrameBatch: non-zero padding byte 0xaa at message offset ${metaEnd}`);
  });
});
