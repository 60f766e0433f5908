/**
 * Rewrites the golden fixtures from the current encoder. Run from the repository root (see
 * GOLDEN_HEADER for the command), only when the wire format changes on purpose, and bump
 * CODEC_VERSION with it: the fixtures are what keeps deployed services able to talk.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeDetectionBatch } from '../detection-batch';
import { encodeFrameBatch } from '../frame-batch';
import { formatGolden, goldenDetectionBatch, goldenFrameBatch } from './golden-batches';

const dir = join(process.cwd(), 'libs/frame-codec/src/__golden__');
writeFileSync(join(dir, 'frame-batch.v2.hex'), formatGolden(encodeFrameBatch(goldenFrameBatch())));
writeFileSync(join(dir, 'detection-batch.v2.hex'), formatGolden(encodeDetectionBatch(goldenDetectionBatch())));
process.stdout.write(`wrote golden fixtures to ${dir}\n`);
