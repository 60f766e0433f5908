import { ramp } from './score-curve';
import type { FreezeThresholds } from './thresholds';

/** How much a luma grid differs from another one of the same size. */
export interface MotionMeasure {
  /** Share of pixels whose luma moved by more than `pixelDelta` codes. */
  changedShare: number;
  /** Absolute change of the mean luma, in codes (fades move it, coding noise does not). */
  meanShift: number;
  /** Mean absolute luma difference, in codes; reported for diagnosis, not scored (see THRESHOLDS.md). */
  mad: number;
  /**
   * False when the scan stopped early because more than `stopAfterChanged` pixels had changed:
   * `changedShare` is then a lower bound and `meanShift`/`mad` cover only the pixels scanned.
   */
  complete: boolean;
}

/**
 * Compares two grids of `n` pixels each. Scanning stops once more than `stopAfterChanged` pixels
 * changed: a frame that clearly moved scores 0 whatever the rest holds, and moving pictures are
 * the common case, so most frames cost a fraction of a full pass.
 */
export function measureMotion(
  current: Uint8Array,
  previous: Uint8Array,
  n: number,
  pixelDelta: number,
  stopAfterChanged = Number.POSITIVE_INFINITY,
): MotionMeasure {
  let changed = 0;
  let signed = 0;
  let absolute = 0;
  let i = 0;
  // Check the stop condition once per row-sized block, not per pixel, to keep the loop tight.
  const block = 256;
  while (i < n) {
    const end = Math.min(n, i + block);
    for (; i < end; i++) {
      const d = current[i] - previous[i];
      signed += d;
      const a = d < 0 ? -d : d;
      absolute += a;
      changed += a > pixelDelta ? 1 : 0;
    }
    if (changed > stopAfterChanged) break;
  }
  if (n === 0) return { changedShare: 0, meanShift: 0, mad: 0, complete: true };
  const scanned = Math.max(1, i);
  return { changedShare: changed / n, meanShift: Math.abs(signed) / scanned, mad: absolute / scanned, complete: i >= n };
}

/**
 * Scores how frozen a frame looks next to another: frozen only when both few pixels changed
 * (share at most `shareThreshold`) and the mean luma stayed put (at most `meanThreshold` codes),
 * so the score is the lower of the two evidences. Each is 1 at no change, 0.5 at its threshold
 * and 0 at twice the threshold.
 */
export function scoreStill(m: MotionMeasure, shareThreshold: number, meanThreshold: number): number {
  const byPixels = ramp(m.changedShare, 2 * shareThreshold, shareThreshold, 0);
  const byMean = ramp(m.meanShift, 2 * meanThreshold, meanThreshold, 0);
  return Math.min(byPixels, byMean);
}

/** One frame's freeze verdict with the measurements behind it. */
export interface FreezeResult {
  score: number;
  /** Against the previous frame; null on a stream's first frame (or after a size change). */
  motion: MotionMeasure | null;
  /** Against the still run's reference frame (its first frame, or a snapshot `baselineSec`–2×`baselineSec` old); null when the frame clearly moved or the run is one frame old. */
  drift: MotionMeasure | null;
}

/**
 * Per-stream freeze state. A frame is compared with its predecessor and with a reference frame
 * from earlier in the same still run: the run's first frame, or, once the run is `baselineSec`
 * old, a snapshot between one and two baselines old. The reference separates slow, low-contrast
 * motion (a dark scene drifting a fraction of a code per frame, which no per-frame threshold can
 * tell from coding noise) from a real freeze: in slow motion the differences add up, in a freeze
 * the decoded picture only wobbles around the frozen one. A run restarts on a frame that clearly
 * moved (score 0 against its predecessor), so a freeze that follows normal motion is reported
 * from its first repeated frame.
 *
 * Buffers: three grids per stream (previous frame, reference, pending snapshot), reused.
 */
export class FreezeTracker {
  private previous: Uint8Array = new Uint8Array(0);
  private previousPts = 0;
  /** Newest snapshot: the run's first frame until it is old enough to be promoted. */
  private pending: Uint8Array = new Uint8Array(0);
  private pendingPts = 0;
  /** Snapshot at least `baselineSec` old, or null while the run is younger than that. */
  private reference: Uint8Array | null = null;
  private width = 0;
  private height = 0;
  private started = false;

  constructor(private readonly thresholds: FreezeThresholds) {}

  /** Scores one frame; `black` forces the score to 0 (a black picture is reported as black only). */
  next(grid: Uint8Array, width: number, height: number, pts: number, black: boolean): FreezeResult {
    const n = width * height;
    if (!this.started || width !== this.width || height !== this.height) {
      // No predecessor of this size: nothing to compare, and the frame starts a run.
      this.started = true;
      this.width = width;
      this.height = height;
      this.previous = new Uint8Array(n);
      this.pending = new Uint8Array(n);
      this.startRun(grid, pts, n);
      this.previous.set(grid.subarray(0, n));
      this.previousPts = pts;
      return { score: 0, motion: null, drift: null };
    }
    const { pixelDelta } = this.thresholds;
    // Past twice the changed-share threshold the frame scores 0, so the rest need not be scanned.
    const motion = measureMotion(grid, this.previous, n, pixelDelta, 2 * this.thresholds.changedShare * n);
    let score = scoreStill(motion, this.thresholds.changedShare, this.thresholds.meanShift);
    let drift: MotionMeasure | null = null;
    if (score === 0) {
      this.startRun(grid, pts, n);
    } else {
      if (pts - this.pendingPts >= this.thresholds.baselineSec - 1e-9) this.promotePending(grid, pts, n);
      // The run's first frame is worth comparing only when it is older than the predecessor.
      const reference = this.reference ?? (this.pendingPts < this.previousPts ? this.pending : null);
      if (reference !== null) {
        drift = measureMotion(grid, reference, n, pixelDelta, 2 * this.thresholds.driftShare * n);
        score = Math.min(score, scoreStill(drift, this.thresholds.driftShare, this.thresholds.meanShift));
      }
    }
    this.previous.set(grid.subarray(0, n));
    this.previousPts = pts;
    return { score: black ? 0 : score, motion, drift };
  }

  /** The picture clearly moved (or the stream began): a new still run may start at this frame. */
  private startRun(grid: Uint8Array, pts: number, n: number): void {
    this.reference = null;
    this.pending.set(grid.subarray(0, n));
    this.pendingPts = pts;
  }

  /** The pending snapshot is old enough to become the reference; this frame becomes the next pending one. */
  private promotePending(grid: Uint8Array, pts: number, n: number): void {
    const spare = this.reference ?? new Uint8Array(n);
    this.reference = this.pending;
    spare.set(grid.subarray(0, n));
    this.pending = spare;
    this.pendingPts = pts;
  }
}
