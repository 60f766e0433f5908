import { encodeFrameBatch } from '@framewatch/frame-codec';
import type { FrameBatch } from '@framewatch/frame-codec';
import type { Detector, StoredFrameDetector } from '@framewatch/pipeline';
import type { FrameHandoff } from '@framewatch/storage';

/** One detector group reached through the frames store. */
export interface HandoffGroup {
  /** The group's Detector binding, used for `describe` and `release`. */
  detector: Detector;
  /** The same group's StoredFrameDetector binding, used for scoring. */
  stored: StoredFrameDetector;
}

/**
 * The `services-s3` data path: each detector group's part of a FrameBatch (the runner sends a
 * group only the streams it uses) is written to the frames store, the group reads it back by
 * key, and the object is deleted once scored. Per batch and group that is 1 PUT + 1 GET +
 * 1 DELETE, instead of frames inside the call.
 *
 * @example
 * const detectors = createHandoffDetectors(createLocalFrameHandoff({ dir }), groups);
 */
export function createHandoffDetectors(handoff: FrameHandoff, groups: HandoffGroup[]): Detector[] {
  return groups.map((group, i) => ({
    describe: () => group.detector.describe(),
    release: (streamId: string) => group.detector.release(streamId),
    async detect(batch: FrameBatch) {
      // One object per group: groups are sent different parts of the batch.
      const key = `${batch.streamId}/${String(batch.seq).padStart(9, '0')}.g${i}.fwcb`;
      await handoff.put(key, encodeFrameBatch(batch));
      try {
        return await group.stored.detectStored(key);
      } finally {
        await handoff.delete(key);
      }
    },
  }));
}
