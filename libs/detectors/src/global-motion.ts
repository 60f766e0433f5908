/**
 * How much of a frame's change from the previous frame the previous picture cannot explain, still
 * or moved as a whole: the macroblocking detector's test for "nothing new appeared" (see
 * `MacroblockEvidenceGate`). A pan, a scroll or a pattern sliding across the picture moves sharp
 * edges onto the 16-pixel grid in many blocks at once, which the edge features cannot tell from
 * damage; but such a frame is the previous frame shifted, and damage is not.
 *
 * The candidate shifts come from gradient projection profiles (the sum of absolute steps across,
 * per column, over a few sampled rows, and down, per row, over a few sampled columns), matched
 * with the previous frame's; the blocks that changed are then compared with the previous frame at
 * each candidate. One shift per frame: a zoom, a rotation or objects moving their own ways are
 * not explained, nor, often, a pan both across and down over fine detail (the sampled rows see
 * other content). libs/detectors/MODEL.md "Motion test" has the measurements.
 */

import type { MacroblockKernels } from './macroblock-kernels';

/** Largest global shift looked for, in pixels per frame, across and down. */
export const GLOBAL_MOTION_RANGE = 16;
/**
 * A block is explained when its mean absolute difference from the previous frame at the shift, on
 * a 2-pixel lattice (64 points), is at most this many luma codes: coding noise of a moved picture
 * stays below it, a wrong patch does not. Also the bar for a block to count as changed at all.
 * Chosen on the validation set (MODEL.md "Motion test").
 */
export const UNEXPLAINED_BLOCK_RESIDUAL = 5;
/**
 * …or, for a detailed block, at most this share of its texture (the feature tracker's: the smaller
 * of its mean step across and down). Coding noise grows with detail: at a keyframe of rolling
 * credits, the moved glyphs' blocks (texture 16–36) differed from the previous frame at the shift by
 * 5.0–6.6 codes, and every keyframe opened the evidence gate. A wrong patch differs by about its
 * texture or more. Chosen on the validation set and the credits (MODEL.md "Motion test").
 */
export const UNEXPLAINED_TEXTURE_SHARE = 0.5;

const B = 16;
/** Lines (rows for the column profiles, columns for the row profiles) the profiles are taken on. */
const PROFILE_LINES = 16;
/** The shift search first compares the profiles summed over this many entries. */
const COARSE = 4;
const { abs } = Math;

/** The projection profiles of one picture: sums over the sampled lines. */
interface Profiles {
  columnGradient: Int32Array;
  rowGradient: Int32Array;
  /** Scratch for the coarse search: the profiles summed over {@link COARSE} entries. */
  coarseA: Int32Array;
  coarseB: Int32Array;
}

/**
 * The global-motion test of one stream's frames, called with consecutive frame numbers. Keeps the
 * last picture's profiles, so a picture tested in consecutive calls is profiled once, and the last
 * shift found, which a pan's next frame tries first.
 *
 * @example
 * const motion = new GlobalMotionTest();
 * const blocks = motion.unexplainedBlocks(plane, previousPlane, width, height, frame, changed, changedCount, 5); // counts up to 6
 */
export class GlobalMotionTest {
  private width = 0;
  private height = 0;
  private current: Profiles | null = null;
  private previous: Profiles | null = null;
  /** The frame number whose profiles {@link current} holds (null: none). */
  private measured: number | null = null;
  /** The shift chosen on the last call: the content moved by (−dx, −dy). */
  shift: readonly [number, number] = [0, 0];
  /** Which of the kernels' two profile sets holds the last measured picture's profiles. */
  private kernelSet: 0 | 1 = 0;
  /** Whether the last call measured in the kernels' memory (null: no call yet). */
  private lastInKernels: boolean | null = null;

  /**
   * With `kernels`, the frames that are the kernels' current and previous planes (the feature
   * tracker's) are profiled and compared in WebAssembly (`macroblock-kernels.wat`), with the same
   * integer sums and the same answers; other planes, in TypeScript.
   */
  constructor(private readonly kernels?: MacroblockKernels) {}

  /**
   * Counts the blocks in `changed` (indices of the blocks of `plane`, frame number `frame`, that
   * differ from `previousPlane`, frame `frame − 1`, where they are) that `previousPlane` moved as a
   * whole does not explain either. When the last frame's shift leaves no more than `stopAbove`, a
   * pan goes on and that count stands. Otherwise the answer is the fewest over the candidate shifts
   * from the projection profiles, each counted up to `countUpTo` + 1 (by default `stopAbove` + 1:
   * enough for the gate's yes or no; the feature tracker counts further, `unexplainedShareRise`).
   * A block the shift takes partly out of the picture counts as explained (it shows newly
   * revealed content). With `texture` (per block of the picture, as the feature tracker measures
   * it), a detailed block's bar is {@link UNEXPLAINED_TEXTURE_SHARE} of its texture when that is
   * above {@link UNEXPLAINED_BLOCK_RESIDUAL}.
   */
  unexplainedBlocks(
    plane: Uint8Array,
    previousPlane: Uint8Array,
    width: number,
    height: number,
    frame: number,
    changed: Int32Array,
    changedCount: number,
    stopAbove: number,
    countUpTo = stopAbove,
    texture?: Float32Array,
  ): number {
    const bar: BlockBar = { width, height, changed, changedCount, texture };
    const kernels = this.kernels && texture && plane === this.kernels.current && previousPlane === this.kernels.previous ? this.kernels : null;
    kernels?.loadBlocks(changed, changedCount, texture as Float32Array);
    const count = (dx: number, dy: number, stop: number): number =>
      kernels ? kernels.unexplained(changedCount, dx, dy, stop) : countUnexplained(plane, previousPlane, bar, dx, dy, stop);
    if (this.lastInKernels !== (kernels !== null)) this.measured = null;
    this.lastInKernels = kernels !== null;
    if (width !== this.width || height !== this.height || this.current === null || this.previous === null) {
      this.width = width;
      this.height = height;
      this.current = newProfiles(width, height);
      this.previous = newProfiles(width, height);
      this.measured = null;
      this.shift = [0, 0];
    }
    // A pan goes on from frame to frame: when the last frame's shift explains this one, the
    // profiles are not needed.
    const [lastX, lastY] = this.shift;
    if (lastX !== 0 || lastY !== 0) {
      const pan = count(lastX, lastY, stopAbove);
      if (pan <= stopAbove) return pan;
    }
    // The last call's picture is this call's previous one: swap instead of measuring it again.
    const previous = this.current;
    const current = this.previous;
    this.current = current;
    this.previous = previous;
    if (kernels) {
      // The same swap for the two profile sets in WebAssembly memory.
      const previousSet = this.kernelSet;
      const currentSet = (1 - previousSet) as 0 | 1;
      if (this.measured === null || this.measured !== frame - 1) kernels.profiles(1, previousSet);
      kernels.profiles(0, currentSet);
      this.kernelSet = currentSet;
      Object.assign(previous, kernels.profileSets[previousSet]);
      Object.assign(current, kernels.profileSets[currentSet]);
    } else {
      if (this.measured === null || this.measured !== frame - 1) measureProfiles(previousPlane, width, height, previous);
      measureProfiles(plane, width, height, current);
    }
    this.measured = frame;

    const gx = profileShift(current.columnGradient, previous.columnGradient, current);
    const gy = profileShift(current.rowGradient, previous.rowGradient, current);
    let fewest = changedCount;
    this.shift = [0, 0];
    // The candidates, in order: (gx, gy), (gx, 0), (0, gy); only one when either is 0.
    for (let k = 0; k < 3; k++) {
      const dx = k === 2 ? 0 : gx;
      const dy = k === 1 ? 0 : gy;
      if ((dx === 0 && dy === 0) || (k > 0 && (gx === 0 || gy === 0))) continue;
      const unexplained = count(dx, dy, Math.min(countUpTo, fewest - 1));
      if (unexplained < fewest) {
        fewest = unexplained;
        this.shift = [dx, dy];
        if (fewest === 0) return 0;
      }
    }
    return fewest;
  }
}

function newProfiles(width: number, height: number): Profiles {
  const longest = Math.ceil(Math.max(width, height) / COARSE);
  return { columnGradient: new Int32Array(width), rowGradient: new Int32Array(height), coarseA: new Int32Array(longest), coarseB: new Int32Array(longest) };
}

/**
 * Where the profiles are taken: the offsets of the first pixel of the (up to {@link PROFILE_LINES})
 * rows the column profile sums, and the first of the columns the row profile sums, their step
 * and count.
 */
export function profileLines(width: number, height: number): { rows: number[]; first: number; step: number; columns: number } {
  const count = Math.min(PROFILE_LINES, height - 1);
  const rows = Array.from({ length: count }, (_, k) => Math.floor(((k + 0.5) * (height - 1)) / count) * width);
  const columns = Math.min(PROFILE_LINES, width);
  const step = Math.floor(width / columns);
  return { rows, first: step >> 1, step, columns };
}

/** Sum of the absolute gradient across, per column (over sampled rows), and down, per row (over sampled columns). */
function measureProfiles(p: Uint8Array, width: number, height: number, out: Profiles): void {
  const { columnGradient, rowGradient } = out;
  columnGradient.fill(0);
  const lines = profileLines(width, height);
  for (const r of lines.rows) {
    let left = p[r] as number;
    for (let x = 0; x < width - 1; x++) {
      const right = p[r + x + 1] as number;
      columnGradient[x] = (columnGradient[x] as number) + abs(right - left);
      left = right;
    }
  }
  const { first, step, columns } = lines;
  const end = first + columns * step;
  for (let y = 0, r = 0; y < height - 1; y++, r += width) {
    let gradient = 0;
    for (let x = r + first, last = r + end; x < last; x += step) gradient += abs((p[x + width] as number) - (p[x] as number));
    rowGradient[y] = gradient;
  }
}

/**
 * The shift s (within ±{@link GLOBAL_MOTION_RANGE}) that minimises the mean |a[i] − b[i + s]| over
 * the profile but its last entry: first on the profiles summed over {@link COARSE} entries, then
 * at full resolution within {@link COARSE} − 1 of the coarse answer.
 */
function profileShift(a: Int32Array, b: Int32Array, scratch: Profiles): number {
  const n = a.length - 1;
  const m = Math.floor(n / COARSE);
  const ca = scratch.coarseA;
  const cb = scratch.coarseB;
  for (let j = 0; j < m; j++) {
    let sa = 0;
    let sb = 0;
    for (let i = j * COARSE, e = i + COARSE; i < e; i++) {
      sa += a[i] as number;
      sb += b[i] as number;
    }
    ca[j] = sa;
    cb[j] = sb;
  }
  const reach = Math.ceil(GLOBAL_MOTION_RANGE / COARSE);
  const coarse = bestShift(ca, cb, m, -reach, reach);
  return bestShift(a, b, n, Math.max(-GLOBAL_MOTION_RANGE, coarse * COARSE - COARSE + 1), Math.min(GLOBAL_MOTION_RANGE, coarse * COARSE + COARSE - 1));
}

/** The shift s in [lo, hi] that minimises the mean |a[i] − b[i + s]| over the first n entries (ties to the smaller |s|). */
function bestShift(a: Int32Array, b: Int32Array, n: number, lo: number, hi: number): number {
  let best = 0;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let s = lo; s <= hi; s++) {
    const from = Math.max(0, -s);
    const to = Math.min(n, n - s);
    if (to - from < n / 2) continue;
    let cost = 0;
    for (let i = from; i < to; i++) cost += abs((a[i] as number) - (b[i + s] as number));
    cost /= to - from;
    if (cost < bestCost || (cost === bestCost && abs(s) < abs(best))) {
      bestCost = cost;
      best = s;
    }
  }
  return best;
}

/** The blocks to compare and what bounds each one's residual (see {@link GlobalMotionTest.unexplainedBlocks}). */
interface BlockBar {
  width: number;
  height: number;
  changed: Int32Array;
  changedCount: number;
  texture: Float32Array | undefined;
}

/**
 * Blocks of `changed` whose residual at (dx, dy) is above their bar ({@link UNEXPLAINED_BLOCK_RESIDUAL},
 * or {@link UNEXPLAINED_TEXTURE_SHARE} of a detailed block's texture), counted up to `stopAbove` + 1.
 * Each block is first compared on an 8-pixel lattice (4 points); only one above the bar there is
 * compared on the 2-pixel lattice (64 points), which averages the coding noise of a moved sharp
 * edge: a busy pan costs far less (`npm run bench:macroblocking`).
 */
function countUnexplained(p: Uint8Array, q: Uint8Array, blocks: BlockBar, dx: number, dy: number, stopAbove: number): number {
  const { width, height, changed, changedCount, texture } = blocks;
  const bw = Math.floor(width / B);
  let count = 0;
  for (let k = 0; k < changedCount; k++) {
    const i = changed[k] as number;
    const bx = i % bw;
    const by = (i - bx) / bw;
    const bar = texture === undefined ? UNEXPLAINED_BLOCK_RESIDUAL : Math.max(UNEXPLAINED_BLOCK_RESIDUAL, UNEXPLAINED_TEXTURE_SHARE * (texture[i] as number));
    if (blockResidual(p, q, width, height, bx, by, dx, dy, 8) <= bar) continue;
    if (blockResidual(p, q, width, height, bx, by, dx, dy, 2) > bar && ++count > stopAbove) return count;
  }
  return count;
}

/**
 * Mean absolute difference of block (bx, by) of `p` from `q` shifted by (dx, dy), on a
 * `lattice`-pixel lattice starting one pixel into the block (with 2, the tracker's block-change
 * lattice); −1 when the shift takes the block partly out of the picture.
 */
function blockResidual(p: Uint8Array, q: Uint8Array, width: number, height: number, bx: number, by: number, dx: number, dy: number, lattice: number): number {
  const x0 = bx * B + 1;
  const y0 = by * B + 1;
  const last = B - 2;
  if (x0 + dx < 0 || x0 + last + dx >= width || y0 + dy < 0 || y0 + last + dy >= height) return -1;
  let sum = 0;
  let samples = 0;
  const shift = dy * width + dx;
  for (let y = y0; y <= y0 + last; y += lattice) {
    for (let i = y * width + x0, end = i + last; i <= end; i += lattice, samples++) sum += abs((p[i] as number) - (q[i + shift] as number));
  }
  return sum / samples;
}
