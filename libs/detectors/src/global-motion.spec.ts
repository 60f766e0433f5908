import { GLOBAL_MOTION_RANGE, GlobalMotionTest, UNEXPLAINED_BLOCK_RESIDUAL, UNEXPLAINED_TEXTURE_SHARE } from './global-motion';
import { MacroblockKernels } from './macroblock-kernels';
import { checkerboard, plane, withLostSlice } from './spec-helpers';

const W = 320;
const H = 192;
const BLOCKS = (W / 16) * (H / 16);

/** Detailed content with no period, moved (shiftX, shiftY) pixels: waves of unrelated lengths. */
const texture = (shiftX: number, shiftY: number): Uint8Array =>
  plane(W, H, (x, y) => {
    const u = x - shiftX;
    const v = y - shiftY;
    return 128 + 50 * Math.sin(u / 5.3) * Math.cos(v / 7.1) + 35 * Math.sin((u + 2 * v) / 3.7) + 20 * Math.cos((3 * u - v) / 11.3);
  });

/** Fine detail with no pattern (steps of tens of codes between neighbours, like grain or foliage) moved (shiftX, shiftY) pixels. */
const detailed = (shiftX: number, shiftY: number): Uint8Array =>
  plane(W, H, (x, y) => {
    const h = Math.imul((x - shiftX + 1000) * 73856093, 1) ^ Math.imul((y - shiftY + 1000) * 19349663, 1);
    return 64 + (Math.imul(h, 0x27d4eb2d) >>> 24) / 2;
  });

/** Indices of the blocks whose mean absolute change on the 2-pixel lattice is above the bar (as the tracker lists them). */
function changedBlocks(p: Uint8Array, q: Uint8Array): Int32Array {
  const out: number[] = [];
  for (let by = 0; by < H / 16; by++) {
    for (let bx = 0; bx < W / 16; bx++) {
      let sum = 0;
      for (let y = by * 16 + 1; y < by * 16 + 16; y += 2) for (let x = bx * 16 + 1; x < bx * 16 + 16; x += 2) sum += Math.abs((p[y * W + x] as number) - (q[y * W + x] as number));
      if (sum / 64 > UNEXPLAINED_BLOCK_RESIDUAL) out.push(by * (W / 16) + bx);
    }
  }
  return Int32Array.from(out);
}

/** Per block, the feature tracker's texture: the smaller of the mean step across and down on the 2-pixel lattice. */
function blockTexture(p: Uint8Array): Float32Array {
  const out = new Float32Array(BLOCKS);
  for (let by = 0; by < H / 16; by++) {
    for (let bx = 0; bx < W / 16; bx++) {
      let across = 0;
      let down = 0;
      for (let y = by * 16 + 1; y < by * 16 + 16; y += 2) {
        for (let x = bx * 16 + 1; x < bx * 16 + 16; x += 2) {
          across += Math.abs((p[y * W + x] as number) - (p[y * W + x - 1] as number));
          down += Math.abs((p[y * W + x] as number) - (p[(y - 1) * W + x] as number));
        }
      }
      out[by * (W / 16) + bx] = Math.min(across, down) / 64;
    }
  }
  return out;
}

/** Unexplained blocks of `p` against `q` (frame 1 after frame 0), counted up to `stopAbove` + 1. */
function unexplained(p: Uint8Array, q: Uint8Array, stopAbove = BLOCKS): number {
  const changed = changedBlocks(p, q);
  return new GlobalMotionTest().unexplainedBlocks(p, q, W, H, 1, changed, changed.length, stopAbove);
}

describe('GlobalMotionTest', () => {
  it('explains every changed block of a picture moved as a whole, across or down', () => {
    for (const [dx, dy] of [
      [2, 0],
      [-5, 0],
      [0, 3],
      [GLOBAL_MOTION_RANGE, 0],
    ] as const) {
      const before = texture(0, 0);
      const after = texture(dx, dy);
      expect(changedBlocks(after, before).length).toBeGreaterThan(BLOCKS / 2);
      expect(unexplained(after, before)).toBe(0);
    }
    // Sharp edges sliding across the grid, the validation set's checkerboard.
    expect(unexplained(checkerboard(W, H, 2), checkerboard(W, H, 0))).toBe(0);
  });

  it('counts the changed blocks that no shift explains: damage in a moving picture, or a jump beyond the range', () => {
    const before = checkerboard(W, H, 0);
    // withLostSlice replaces 28 blocks with flat, wrong ones.
    expect(unexplained(withLostSlice(checkerboard(W, H, 2), W), before)).toBe(28);
    expect(unexplained(texture(GLOBAL_MOTION_RANGE + 8, 0), texture(0, 0))).toBeGreaterThan(BLOCKS / 2);
  });

  it('stops counting once the count is above stopAbove, or above countUpTo when given', () => {
    const damaged = withLostSlice(checkerboard(W, H, 2), W);
    const before = checkerboard(W, H, 0);
    expect(unexplained(damaged, before, 4)).toBe(5);
    const changed = changedBlocks(damaged, before);
    expect(new GlobalMotionTest().unexplainedBlocks(damaged, before, W, H, 1, changed, changed.length, 4, 20)).toBe(21);
    expect(new GlobalMotionTest().unexplainedBlocks(damaged, before, W, H, 1, changed, changed.length, 4, BLOCKS)).toBe(28);
  });

  it('lets a detailed block that moved carry coding noise up to a share of its texture, but not a wrong patch', () => {
    const before = detailed(0, 0);
    const moved = detailed(2, 0);
    // Block (4, 3) moved with the picture, 7 codes brighter (a coarser quantiser's error); block (12, 6) shows detail from another place.
    const noisy = moved.slice();
    const wrong = moved.slice();
    for (let y = 48; y < 64; y++) for (let x = 64; x < 80; x++) noisy[y * W + x] = Math.min(255, (moved[y * W + x] as number) + 7);
    for (let y = 96; y < 112; y++) for (let x = 192; x < 208; x++) wrong[y * W + x] = before[(y + 40) * W + x + 61] as number;
    expect(blockTexture(noisy)[3 * (W / 16) + 4]).toBeGreaterThan((7 + 1) / UNEXPLAINED_TEXTURE_SHARE);
    const count = (p: Uint8Array, withTexture: boolean): number => {
      const changed = changedBlocks(p, before);
      return new GlobalMotionTest().unexplainedBlocks(p, before, W, H, 1, changed, changed.length, BLOCKS, BLOCKS, withTexture ? blockTexture(p) : undefined);
    };
    expect(count(noisy, false)).toBe(1);
    expect(count(noisy, true)).toBe(0);
    expect(count(wrong, true)).toBe(1);
    // A flat wrong block has no texture to lean on: its bar stays UNEXPLAINED_BLOCK_RESIDUAL.
    expect(count(withLostSlice(moved, W), true)).toBe(28);
  });

  it('keeps a pan\'s shift when it leaves no more than stopAbove, without counting further', () => {
    const motion = new GlobalMotionTest();
    const step = (t: number, p: Uint8Array, q: Uint8Array): number => {
      const changed = changedBlocks(p, q);
      return motion.unexplainedBlocks(p, q, W, H, t, changed, changed.length, 30, BLOCKS);
    };
    expect(step(1, checkerboard(W, H, 2), checkerboard(W, H, 0))).toBe(0);
    // The last shift leaves the slice's 28 blocks, within stopAbove: that count stands.
    expect(step(2, withLostSlice(checkerboard(W, H, 4), W), checkerboard(W, H, 2))).toBe(28);
    expect(motion.shift).toEqual([-2, 0]);
  });

  it('gives the same verdicts when it carries the last frame\'s profiles and shift to the next as when it starts afresh', () => {
    const frames = Array.from({ length: 8 }, (_, t) => (t === 5 ? withLostSlice(texture(3 * t, 0), W) : texture(3 * t, 0)));
    const carried = new GlobalMotionTest();
    for (let t = 1; t < frames.length; t++) {
      const p = frames[t] as Uint8Array;
      const q = frames[t - 1] as Uint8Array;
      const changed = changedBlocks(p, q);
      const fresh = new GlobalMotionTest().unexplainedBlocks(p, q, W, H, t, changed, changed.length, 0);
      expect(carried.unexplainedBlocks(p, q, W, H, t, changed, changed.length, 0)).toBe(fresh);
      // The lost slice, and the frame after it, where the slice's blocks change back.
      expect(fresh > 0).toBe(t === 5 || t === 6);
      if (fresh === 0) expect(carried.shift).toEqual([-3, 0]);
    }
  });

  it('gives the same counts and shifts with the frames in WebAssembly memory (the feature tracker\'s)', () => {
    const frames = Array.from({ length: 9 }, (_, t) =>
      t === 4 ? withLostSlice(texture(3 * t, 0), W) : t === 7 ? texture(3 * t + GLOBAL_MOTION_RANGE + 8, 2) : t === 6 ? detailed(3 * t, 1) : texture(3 * t, 0),
    );
    const kernels = new MacroblockKernels();
    kernels.resize(W, H);
    const inTypeScript = new GlobalMotionTest();
    const inKernels = new GlobalMotionTest(kernels);
    const counts: number[] = [];
    for (let t = 1; t < frames.length; t++) {
      const p = frames[t] as Uint8Array;
      const q = frames[t - 1] as Uint8Array;
      kernels.previous.set(q);
      kernels.current.set(p);
      const changed = changedBlocks(p, q);
      const blockTextures = blockTexture(p);
      const expected = inTypeScript.unexplainedBlocks(p, q, W, H, t, changed, changed.length, 2, BLOCKS, blockTextures);
      const got = inKernels.unexplainedBlocks(kernels.current, kernels.previous, W, H, t, changed, changed.length, 2, BLOCKS, blockTextures);
      expect({ t, got, shift: inKernels.shift }).toEqual({ t, got: expected, shift: inTypeScript.shift });
      counts.push(got);
    }
    // The cases reach both answers: explained pans, and the slice, the jump and the new detail.
    expect(counts.filter((c) => c === 0).length).toBeGreaterThan(2);
    expect(counts.filter((c) => c > 2).length).toBeGreaterThan(2);
  });
});
