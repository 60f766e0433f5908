import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GOLDEN_HEADER, goldenDetectionBatch, goldenFrameBatch, parseGolden } from './__golden__/golden-batches';
import { decodeDetectionBatch, encodeDetectionBatch } from './detection-batch';
import { decodeFrameBatch, encodeFrameBatch } from './frame-batch';

// These fixtures pin the wire format: a failure here means the encoding changed. If that was
// intended, bump CODEC_VERSION and regenerate (the command is on the fixture's first line). The
// version-1 files were written by the build before decodeErrors and are kept as they are: this
// build must still read them.
const fixture = (name: string): string => readFileSync(join(__dirname, '__golden__', name), 'utf8');

describe('golden bytes', () => {
  it.each(['frame-batch.v2.hex', 'detection-batch.v2.hex'])('%s says it is generated and how to regenerate it', (name) => {
    expect(fixture(name).split('\n')[0]).toBe(GOLDEN_HEADER);
  });

  it('encodes the golden FrameBatch to exactly the committed bytes', () => {
    expect(Buffer.from(encodeFrameBatch(goldenFrameBatch())).toString('hex')).toBe(Buffer.from(parseGolden(fixture('frame-batch.v2.hex'))).toString('hex'));
  });

  it('decodes the committed FrameBatch bytes to the golden batch', () => {
    expect(decodeFrameBatch(parseGolden(fixture('frame-batch.v2.hex')))).toEqual(goldenFrameBatch());
  });

  it('decodes the version-1 bytes of a build before decodeErrors: the golden batch without them', () => {
    const v1 = goldenFrameBatch();
    for (const frame of v1.video) delete frame.decodeErrors;
    expect(decodeFrameBatch(parseGolden(fixture('frame-batch.v1.hex')))).toEqual(v1);
    expect(decodeDetectionBatch(parseGolden(fixture('detection-batch.v1.hex')))).toEqual(goldenDetectionBatch());
  });

  it('encodes the golden DetectionBatch to exactly the committed bytes', () => {
    expect(Buffer.from(encodeDetectionBatch(goldenDetectionBatch())).toString('hex')).toBe(
      Buffer.from(parseGolden(fixture('detection-batch.v2.hex'))).toString('hex'),
    );
  });

  it('decodes the committed DetectionBatch bytes to the golden batch', () => {
    expect(decodeDetectionBatch(parseGolden(fixture('detection-batch.v2.hex')))).toEqual(goldenDetectionBatch());
  });
});
