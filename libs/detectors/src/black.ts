import type { LumaGrid } from './luma-grid';
import { ramp } from './score-curve';
import type { BlackThresholds } from './thresholds';

/** Share of the grid's pixels whose luma is at or below `lumaMax`. */
export function blackRatio(grid: LumaGrid, lumaMax: number): number {
  const { data } = grid;
  const n = grid.width * grid.height;
  let dark = 0;
  for (let i = 0; i < n; i++) if (data[i] <= lumaMax) dark++;
  return n === 0 ? 0 : dark / n;
}

/**
 * Scores a frame's black ratio: 0.5 at `t.ratio`, 1 when every pixel is black, 0 at four times
 * the threshold's distance from 1 below it (0.90 for 0.98), so a dark scene with a few lit
 * objects scores clearly under the decision threshold instead of hovering just below it.
 */
export function scoreBlack(ratio: number, t: BlackThresholds): number {
  return ramp(ratio, Math.max(0, t.ratio - 4 * (1 - t.ratio)), t.ratio, 1);
}
