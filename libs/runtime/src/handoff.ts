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
 * The `services-s3` data path: each FrameBatch is written once to the frames store, every
 * detector group reads it back by key, and the object is deleted when the last group is done.
 * Per batch that is 1 PUT + N GETs + 1 DELETE, instead of frames inside the call.
 *
 * @example
 * const detectors = createHandoffDetectors(createLocalFrameHandoff({ dir }), groups);
 */
export function createHandoffDetectors(handoff: FrameHandoff, groups: HandoffGroup[]): Detector[] {
  const pending = new Map<string, { written: Promise<void>; remaining: number }>();
  const keyOf = (batch: FrameBatch): string => `${batch.streamId}/${String(batch.seq).padStart(9, '0')}.fwcb`;
  return groups.map((group) => ({
    describe: () => group.detector.describe(),
    release: (streamId: string) => group.detector.release(streamId),
    async detect(batch: FrameBatch) {
      const key = keyOf(batch);
      let entry = pending.get(key);
      if (!entry) {
        entry = { written: handoff.put(key, encodeFrameBatch(batch)), remaining: groups.length };
        pending.set(key, entry);
      }
      try {
        await entry.written;
        return await group.stored.detectStored(key);
      } finally {
        entry.remaining -= 1;
        if (entry.remaining === 0) {
          pending.delete(key);
          await handoff.delete(key);
        }
      }
    },
  }));
}
