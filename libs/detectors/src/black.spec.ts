import { blackRatio, scoreBlack } from './black';
import { plane } from './spec-helpers';
import { defaultThresholds } from './thresholds';

const t = defaultThresholds.black;
const W = 320;
const H = 180;

/** A frame whose first `dark` pixels (row-major) are at luma 16 and the rest at `light`. */
function partlyBlack(dark: number, light = 120): Uint8Array {
  return plane(W, H, (x, y) => (y * W + x < dark ? 16 : light));
}

describe('black', () => {
  it('counts pixels at or below the luma threshold, not above it', () => {
    const grid = { data: plane(W, H, (x) => (x < 160 ? t.lumaMax : t.lumaMax + 1)), width: W, height: H };
    expect(blackRatio(grid, t.lumaMax)).toBe(0.5);
  });

  it('scores a black frame 1 and a test pattern 0', () => {
    expect(scoreBlack(blackRatio({ data: partlyBlack(W * H), width: W, height: H }, t.lumaMax), t)).toBe(1);
    const pattern = plane(W, H, (x) => 16 + (x % 220));
    expect(scoreBlack(blackRatio({ data: pattern, width: W, height: H }, t.lumaMax), t)).toBe(0);
  });

  it('scores 0.5 at exactly the ratio threshold and crosses it by one pixel', () => {
    const atThreshold = Math.round(t.ratio * W * H);
    const score = (dark: number): number => scoreBlack(blackRatio({ data: partlyBlack(dark), width: W, height: H }, t.lumaMax), t);
    expect(score(atThreshold)).toBeCloseTo(0.5, 9);
    expect(score(atThreshold + 1)).toBeGreaterThanOrEqual(0.5);
    expect(score(atThreshold - 1)).toBeLessThan(0.5);
  });

  it('keeps a dark scene with a lit tenth of the frame well under the threshold', () => {
    expect(scoreBlack(0.9, t)).toBeCloseTo(0, 9);
    expect(scoreBlack(0.95, t)).toBeLessThan(0.35);
  });
});
