import { FreezeTracker, measureMotion } from './freeze';
import { columns, movingBars, plane } from './spec-helpers';
import { defaultThresholds } from './thresholds';

const t = defaultThresholds.freeze;
const W = 320;
const H = 180;

/** Feeds planes at 25 fps to a fresh tracker and returns each frame's score. */
function scores(planes: Uint8Array[], width = W, height = H): number[] {
  const tracker = new FreezeTracker(t);
  return planes.map((p, i) => tracker.next(p, width, height, i / 25, false).score);
}

describe('freeze', () => {
  it('scores the first frame 0: it has no predecessor', () => {
    expect(scores([movingBars(W, H, 0)])).toEqual([0]);
  });

  it('scores repeated frames 1 and moving frames 0', () => {
    const still = movingBars(W, H, 0);
    expect(scores([still, still, still]).slice(1)).toEqual([1, 1]);
    expect(scores([0, 1, 2, 3].map((i) => movingBars(W, H, i))).slice(1)).toEqual([0, 0, 0]);
  });

  it('tolerates coding noise below the pixel threshold on a repeated frame', () => {
    const still = movingBars(W, H, 0);
    const noisy = plane(W, H, (x, y) => still[y * W + x] + ((x + y) % 2 === 0 ? 8 : -8));
    expect(measureMotion(noisy, still, W * H, t.pixelDelta).mad).toBe(8);
    expect(scores([still, noisy, still])[1]).toBe(1);
  });

  it('stops scanning once the frame has clearly moved, and says so', () => {
    const a = movingBars(W, H, 0);
    const b = movingBars(W, H, 7);
    const full = measureMotion(b, a, W * H, t.pixelDelta);
    const cut = measureMotion(b, a, W * H, t.pixelDelta, 2 * t.changedShare * W * H);
    expect(full.complete).toBe(true);
    expect(cut.complete).toBe(false);
    expect(cut.changedShare).toBeGreaterThan(2 * t.changedShare);
    expect(cut.changedShare).toBeLessThan(full.changedShare);
  });

  it('scores 0.5 when exactly the threshold share of pixels changed', () => {
    // 400×250 is 100 000 pixels, so 0.1 % is exactly 100 of them.
    const base = plane(400, 250, () => 100);
    const changed = (count: number, delta: number): Uint8Array => plane(400, 250, (x, y) => (y * 400 + x < count ? 100 + delta : 100));
    const score = (p: Uint8Array): number => scores([base, p], 400, 250)[1] as number;
    expect(score(changed(t.changedShare * 100000, t.pixelDelta + 1))).toBeCloseTo(0.5, 9);
    expect(score(changed(t.changedShare * 100000 + 1, t.pixelDelta + 1))).toBeLessThan(0.5);
    expect(score(changed(t.changedShare * 100000 - 1, t.pixelDelta + 1))).toBeGreaterThan(0.5);
    // A change of exactly pixelDelta is still noise (alternating sign keeps the mean put).
    const noise = plane(400, 250, (x) => (x % 2 === 0 ? 100 + t.pixelDelta : 100 - t.pixelDelta));
    expect(score(noise)).toBe(1);
  });

  it('does not call a fade frozen, though no pixel moves past the pixel threshold', () => {
    const fade = [0, 1, 2, 3, 4].map((i) => columns(W, H, (x) => 60 + (x % 100) + 2 * i));
    expect(Math.max(...scores(fade).slice(1))).toBe(0);
  });

  it('tells slow drift from a freeze once the differences add up', () => {
    // A triangle wave moving 1 px per frame: no pixel changes by more than 2 codes per frame.
    const drift = Array.from({ length: 60 }, (_, i) => columns(W, H, (x) => 30 + 2 * Math.abs(((x + i) % 160) - 80)));
    const tracker = new FreezeTracker(t);
    const results = drift.map((p, i) => tracker.next(p, W, H, i / 25, false));
    expect(results.slice(1).every((r) => r.motion?.changedShare === 0)).toBe(true);
    expect(Math.max(...results.slice(12).map((r) => r.score))).toBe(0);
    // A real freeze of the same picture stays frozen for the same length.
    const frozen = scores(Array.from({ length: 60 }, () => drift[0] as Uint8Array));
    expect(Math.min(...frozen.slice(1))).toBe(1);
  });

  it('scores a repeated black frame 0, leaving it to the black detector', () => {
    const black = plane(W, H, () => 16);
    const tracker = new FreezeTracker(t);
    tracker.next(black, W, H, 0, true);
    expect(tracker.next(black, W, H, 0.04, true).score).toBe(0);
    // The comparison still ran: the frame is frozen, it is only not reported as such.
    expect(tracker.next(black, W, H, 0.08, true).motion?.changedShare).toBe(0);
  });

  it('starts again when the frame size changes', () => {
    const tracker = new FreezeTracker(t);
    tracker.next(movingBars(W, H, 0), W, H, 0, false);
    expect(tracker.next(movingBars(640, 360, 0), 640, 360, 0.04, false)).toEqual({ score: 0, motion: null, drift: null });
  });
});
