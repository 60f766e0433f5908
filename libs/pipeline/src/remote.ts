/**
 * How each component contract crosses a process boundary: which methods are idempotent (and so
 * may be retried) and how their arguments and results are encoded. Frames and scores travel as
 * frame-codec bytes, never JSON.
 */
import type { DetectionBatch } from '@framewatch/frame-codec';
import { defineContract } from '@framewatch/rpc';
import type { Aggregator, Detector } from './contracts';

/** The Detector contract on the wire. `detect` advances per-stream state: never retried. */
export const detectorContract = defineContract<Detector>('detector', {
  describe: { idempotent: true, request: 'json', response: 'json' },
  detect: { idempotent: false, request: 'frame-batch', response: 'detection-batch' },
  release: { idempotent: true, request: 'json', response: 'void' },
});

/**
 * A detector that reads its frames from the frames store (`services-s3`): the converter writes
 * each encoded FrameBatch there and passes only its key, as the original serverless design did.
 */
export interface StoredFrameDetector {
  /** Reads the batch stored under `key` and scores it. Not idempotent. */
  detectStored(key: string): Promise<DetectionBatch>;
}

/** The StoredFrameDetector contract on the wire. */
export const storedFrameDetectorContract = defineContract<StoredFrameDetector>('stored-frame-detector', {
  detectStored: { idempotent: false, request: 'json', response: 'detection-batch' },
});

/** The Aggregator contract on the wire. `ingest` is not idempotent (a replay would count twice). */
export const aggregatorContract = defineContract<Aggregator>('aggregator', {
  start: { idempotent: true, request: 'json', response: 'void' },
  ingest: { idempotent: false, request: 'detection-batch', response: 'void' },
  snapshot: { idempotent: true, request: 'json', response: 'json' },
  finish: { idempotent: false, request: 'json', response: 'json' },
});
