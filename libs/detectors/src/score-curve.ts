/**
 * Maps a measurement to a score in [0, 1] along two straight segments through three anchors:
 * `zero` scores 0, `half` scores 0.5 (the decision threshold), `one` scores 1, flat beyond.
 * Rising curves have `zero < half < one`; falling curves (lower is worse, e.g. a level in dB)
 * have `zero > half > one`. Two segments rather than one let each side of the threshold have its
 * own slope: the confidence of a defect grows at its own pace, independent of how far below the
 * threshold clean content usually sits.
 */
export function ramp(x: number, zero: number, half: number, one: number): number {
  if (zero > one) return ramp(-x, -zero, -half, -one);
  if (!(x > zero)) return 0; // NaN lands here: no evidence, no defect.
  if (x < half) return (0.5 * (x - zero)) / (half - zero);
  if (x < one) return 0.5 + (0.5 * (x - half)) / (one - half);
  return 1;
}
