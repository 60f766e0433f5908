import type { ClipData } from './data';
import { calibrateForEvents, scoreClip } from './experiment';
import type { Mlp } from './train';

/** A one-input network whose score is sigmoid(x): the feature is the logit. */
const identity = (): Mlp => ({ inputSize: 1, hidden: 1, w1: Float32Array.of(1), b1: Float32Array.of(0), w2: Float32Array.of(1), b2: 0 });
const logit = (p: number): number => Math.log(p / (1 - p));

/** A 2 s clip whose frames `from`–`to` (inclusive) score `p`, labelled positive when `corrupted`. */
function clip(id: string, corrupted: boolean, from: number, to: number, p: number): ClipData {
  const n = 50;
  const features = new Float32Array(n).fill(logit(0.05));
  features.fill(logit(p), from, to + 1);
  const labels = new Uint8Array(n);
  if (corrupted) labels.fill(1, from, to + 1);
  return { id, source: id, split: 'train', corrupted, features, labels, ambiguous: new Uint8Array(n), blockdetect: new Float32Array(n), damage: new Float32Array(n), unexplained: new Uint8Array(n), decodeErrors: new Uint8Array(n), gop: n };
}

describe('calibrateForEvents', () => {
  it('first avoids events on clean clips, then maximises event F1, and moves that threshold to 0.5', async () => {
    const clips = [
      clip('strong', true, 10, 20, 0.95),
      clip('weak', true, 10, 20, 0.72), // found only at thresholds below 0.72
      clip('clean', false, 10, 20, 0.6), // an event at thresholds up to 0.6
    ];
    const mlp = identity();
    const chosen = await calibrateForEvents(mlp, clips);
    // 0.3–0.6 find both events with a false one on the clean clip; 0.65–0.7 find both without it.
    expect(chosen).toEqual({ threshold: 0.7, confirmScore: null, trainingEventF1: 1, trainingCleanEvents: 0 });
    expect(scoreClip(mlp, clips[1] as ClipData)[15]).toBeGreaterThan(0.5);
    expect(scoreClip(mlp, clips[2] as ClipData)[15]).toBeLessThan(0.5);
  });

  it('gives up recall rather than raise an event on a clean clip', async () => {
    const clips = [clip('strong', true, 10, 20, 0.95), clip('weak-a', true, 10, 20, 0.62), clip('weak-b', true, 10, 20, 0.62), clip('clean', false, 10, 20, 0.6)];
    // At 0.6 all three events are found with one false (F1 0.86); above it only one (F1 0.5).
    expect(await calibrateForEvents(identity(), clips)).toEqual({ threshold: 0.9, confirmScore: null, trainingEventF1: 0.5, trainingCleanEvents: 0 });
  });

  it('chooses a confirm score when sure frames of a short event are worth it, and none when they are not', async () => {
    // Two frames (under the aggregator's 0.2 s) are an event only through a confirm score.
    const shortHit = clip('short', true, 30, 31, 0.99);
    const shortClean = clip('clean', false, 30, 31, 0.9);
    const clips = [clip('long', true, 10, 20, 0.95), shortHit, shortClean];
    // At threshold 0.9 the short hit moves to 0.92 and the clean frames to 0.5: a confirm score of
    // 0.8–0.9 finds both events and nothing on the clean clip (so does 0.95 at threshold 0.8);
    // ties go to the higher threshold, then to the higher confirm score.
    expect(await calibrateForEvents(identity(), clips)).toEqual({ threshold: 0.9, confirmScore: 0.9, trainingEventF1: 1, trainingCleanEvents: 0 });
    // Without the short hit nothing is gained: no confirm score (fewer alarms) and the highest threshold.
    expect(await calibrateForEvents(identity(), [clips[0] as ClipData, shortClean])).toEqual({ threshold: 0.9, confirmScore: null, trainingEventF1: 1, trainingCleanEvents: 0 });
  });

  it('takes the fewest clean events when every threshold raises some', async () => {
    const clips = [clip('hit', true, 10, 20, 0.99), clip('clean-a', false, 10, 20, 0.97), clip('clean-b', false, 10, 20, 0.5)];
    const chosen = await calibrateForEvents(identity(), clips);
    expect(chosen.trainingCleanEvents).toBe(1);
    expect(chosen.threshold).toBe(0.9);
  });
});
