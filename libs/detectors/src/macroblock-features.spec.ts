import { MACROBLOCK_FEATURE_COUNT, MACROBLOCK_FEATURE_NAMES, macroblockFeatures } from './macroblock-features';

const W = 320;
const H = 192;

/** A smooth moving gradient with mild texture: clean content. */
function smooth(shift: number): Uint8Array {
  const p = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) p[y * W + x] = Math.round(60 + 0.3 * (x + shift) + 0.2 * y + 4 * Math.sin((x + y + shift) / 3));
  return p;
}

/** The smooth plane with some 16×16 blocks replaced by flat grey or bright blocks, as a lost slice leaves them. */
function corrupted(shift: number): Uint8Array {
  const p = smooth(shift);
  for (let by = 3; by < 8; by++) {
    for (let bx = 2; bx < 14; bx += 1 + (by % 2)) {
      const v = (bx + by) % 3 === 0 ? 128 : (bx * 37) % 255;
      for (let y = by * 16; y < by * 16 + 16; y++) p.fill(v, y * W + bx * 16, y * W + bx * 16 + 16);
    }
  }
  return p;
}

const index = (name: (typeof MACROBLOCK_FEATURE_NAMES)[number]): number => MACROBLOCK_FEATURE_NAMES.indexOf(name);

describe('macroblockFeatures', () => {
  it('returns a fixed-length vector, with zero temporal features without a previous frame', () => {
    const f = macroblockFeatures(smooth(0), W, H, null);
    expect(f).toHaveLength(MACROBLOCK_FEATURE_COUNT);
    expect(MACROBLOCK_FEATURE_COUNT).toBeLessThanOrEqual(32);
    expect(f[index('changedShare')]).toBe(0);
    expect(Array.from(f).every(Number.isFinite)).toBe(true);
  });

  it('scores a blocky corrupted plane above a smooth one on grid edges and flat blocks', () => {
    const clean = macroblockFeatures(smooth(0), W, H, null);
    const bad = macroblockFeatures(corrupted(0), W, H, null);
    expect(bad[index('grid16Ratio')]).toBeGreaterThan(clean[index('grid16Ratio')] + 0.5);
    expect(bad[index('strongEdgeShare')]).toBeGreaterThan(0.05);
    expect(clean[index('strongEdgeShare')]).toBe(0);
    expect(bad[index('flatEdgeShare')]).toBeGreaterThan(clean[index('flatEdgeShare')]);
  });

  it('sees block-aligned change from the previous frame', () => {
    const clean = macroblockFeatures(smooth(1), W, H, smooth(0));
    const bad = macroblockFeatures(corrupted(1), W, H, smooth(0));
    expect(bad[index('changedShare')]).toBeGreaterThan(0.05);
    expect(bad[index('isolatedChangeShare')]).toBeGreaterThan(0.02);
    expect(clean[index('changedShare')]).toBe(0);
  });

  it('writes into the given array and yields zeros for a plane too small to hold blocks', () => {
    const out = new Float32Array(MACROBLOCK_FEATURE_COUNT).fill(7);
    expect(macroblockFeatures(new Uint8Array(16 * 16), 16, 16, null, out)).toBe(out);
    expect(Array.from(out).every((v) => v === 0)).toBe(true);
  });
});
